"""Sign-in, sign-up and code limits hold across workers and hosts: counters in a real Redis.

Two gunicorn servers (two "hosts", two workers each) share one Redis through
RATELIMIT_STORAGE_URI; sign-in attempts spread over both are counted once. CI starts Debian's
redis-server and sets REDIS_URL (.ci/run); without REDIS_URL a Redis on 127.0.0.1:6379 is used if
one answers, and the test is skipped with the reason otherwise — never in CI, where REDIS_URL is
set and an unreachable Redis fails.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if url:
        return url  # CI: must work
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return "redis://127.0.0.1:6379/0"
    except OSError:
        pytest.skip("no Redis: set REDIS_URL or run redis-server on 127.0.0.1:6379 (CI does both)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def redis_storage() -> Iterator[str]:
    from redis import Redis

    url = _redis_url()
    client = Redis.from_url(url)
    client.ping()  # an unreachable Redis named by REDIS_URL fails here, loudly
    prefix = f"trust-test-{os.getpid()}-{time.monotonic_ns()}"
    os.environ["RATELIMIT_KEY_PREFIX"] = prefix
    yield url
    os.environ.pop("RATELIMIT_KEY_PREFIX", None)
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture(scope="module")
def two_hosts(
    redis_storage: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[str]]:
    """Started once for the module: each test below counts a different limit."""
    tmp_path = tmp_path_factory.mktemp("hosts")
    # A database of their own: what is shared here is the Redis, and the suite's database must
    # keep only what its tests wrote.
    database = f"sqlite:///{tmp_path / 'hosts.sqlite3'}"
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "SECRET_KEY": "shared-secret-key-for-the-two-hosts-test",
        "TRUST_SIGNING_KEY_PASSPHRASE": "test signing passphrase",
        "TRUST_TOKEN_SECRET": "test-token-secret-0123456789abcdef0123456789",
        "RATELIMIT_STORAGE_URI": redis_storage,
        "TRUST_INSECURE_COOKIES": "1",
        "PYTHONPATH": str(ROOT),
    }
    # Migrate once before the hosts start, as a deployment does.
    subprocess.run([sys.executable, "-c", "from app import create_app; create_app()"],
                   env=env, cwd=str(tmp_path), check=True, timeout=120)
    ports = [_free_port(), _free_port()]
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--chdir", str(ROOT), "-w", "2", "-b",
             f"127.0.0.1:{port}", "wsgi:app"],
            env=env, cwd=str(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    try:
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        deadline = time.monotonic() + 60
        for base in bases:
            while True:
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=5)  # noqa: S310
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        yield bases
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def _opener() -> Any:
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )


def _post(opener: Any, url: str, fields: dict[str, str]) -> int:
    data = urllib.parse.urlencode(fields).encode()
    try:
        request = urllib.request.Request(url, data=data)  # noqa: S310 - our own test servers
        with opener.open(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _token(opener: Any, url: str) -> str:
    with opener.open(url, timeout=10) as response:
        match = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', response.read())
    assert match
    return match.group(1).decode()


def test_the_sign_in_limit_holds_across_two_hosts_sharing_redis(two_hosts: list[str]) -> None:
    opener = _opener()
    token = _token(opener, two_hosts[0] + "/login")
    codes = [
        _post(opener, two_hosts[i % 2] + "/login",
              {"login": "nobody@example.test", "password": "wrong", "csrf_token": token})
        for i in range(21)
    ]
    # 20 per minute per address in all: 10 on each host, then the 21st is refused wherever it lands.
    assert codes[:20] == [200] * 20, codes
    assert codes[20] == 429


def test_the_sign_up_limit_holds_across_two_hosts_sharing_redis(two_hosts: list[str]) -> None:
    opener = _opener()
    token = _token(opener, two_hosts[0] + "/register")
    codes = [
        _post(opener, two_hosts[i % 2] + "/register",
              {"display_name": "X", "email": "", "phone": "", "external_id": "",
               "password": "p", "confirm": "p", "csrf_token": token})
        for i in range(11)
    ]
    assert codes[:10] == [200] * 10, codes  # each refused at the form (no address given)
    assert codes[10] == 429
