"""Configuration from the environment, with safe defaults for a machine with none.

With no configuration at all the app uses an SQLite file in the instance folder and keeps
its secrets in files there, created on first run with owner-only permissions. Production sets
everything through the environment; see README.md.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ENV_KEYS = (
    "DATABASE_URL",
    "SECRET_KEY",
    "TRUST_SIGNING_KEY_PASSPHRASE",
    "TRUST_TOKEN_SECRET",
    "TRUST_NAME",
    "TRUST_BASE_URL",
    "TRUST_IMPORT_API_TOKEN",
    "RATELIMIT_STORAGE_URI",
    "RATELIMIT_KEY_PREFIX",
    "MAIL_URL",
    "MAIL_FROM",
    "SMS_URL",
    "MAIL_CA_FILE",
    "OWNER_CONTACT_SALT",
    "UNCONFIRMED_ACCOUNT_DAYS",
    "TRUST_JOB_STORE",
    "TRUST_JOB_QUEUE",
)


def instance_secret(instance_path: str, name: str, nbytes: int = 32) -> str:
    """Read a secret kept in the instance folder, creating it on first use.

    Created with O_EXCL so that two workers starting at once agree on one value.
    """
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        value = secrets.token_hex(nbytes)
        handle.write(value + "\n")
    return value


def normalise_database_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def build_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    env = {key: os.environ[key] for key in ENV_KEYS if os.environ.get(key)}
    overrides = dict(overrides or {})

    def pick(key: str, default: Any = None) -> Any:
        if key in overrides:
            return overrides[key]
        return env.get(key, default)

    database_url = pick("DATABASE_URL") or overrides.get("SQLALCHEMY_DATABASE_URI")
    if not database_url:
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        database_url = "sqlite:///" + str(Path(instance_path) / "trust.sqlite3")
    database_url = normalise_database_url(database_url)

    config: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
        "SECRET_KEY": pick("SECRET_KEY") or instance_secret(instance_path, "secret_key"),
        "TRUST_SIGNING_KEY_PASSPHRASE": pick("TRUST_SIGNING_KEY_PASSPHRASE")
        or instance_secret(instance_path, "signing_key_passphrase"),
        "TRUST_TOKEN_SECRET": pick("TRUST_TOKEN_SECRET")
        or instance_secret(instance_path, "token_secret"),
        "TRUST_NAME": pick("TRUST_NAME", "Owners' Trust"),
        "TRUST_BASE_URL": pick("TRUST_BASE_URL", ""),
        "TRUST_IMPORT_API_TOKEN": pick("TRUST_IMPORT_API_TOKEN"),
        "RATELIMIT_STORAGE_URI": pick("RATELIMIT_STORAGE_URI", "memory://"),
        # Several trusts (or test runs) can share one Redis, each under its own prefix.
        "RATELIMIT_KEY_PREFIX": pick("RATELIMIT_KEY_PREFIX", "trust"),
        # Unset: mail and text messages are held in the outbox for administrators (app/mail).
        "MAIL_URL": pick("MAIL_URL"),
        "MAIL_FROM": pick("MAIL_FROM"),
        "SMS_URL": pick("SMS_URL"),
        "MAIL_CA_FILE": pick("MAIL_CA_FILE"),
        "OWNER_CONTACT_SALT": pick("OWNER_CONTACT_SALT", "owners-trust-contact-v1"),
        # A sign-up whose address is still unconfirmed after this many days is removed by cron.
        "UNCONFIRMED_ACCOUNT_DAYS": int(pick("UNCONFIRMED_ACCOUNT_DAYS", 7)),
        "MAIL_DEFAULT_LOCALE": "zh_Hans_CN",
        "AUTO_MIGRATE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCKOUT_SECONDS": 15 * 60,
    }
    # Secure cookies unless explicitly serving plain HTTP for local development.
    secure = os.environ.get("TRUST_INSECURE_COOKIES", "") != "1"
    config["SESSION_COOKIE_SECURE"] = secure
    config["REMEMBER_COOKIE_SECURE"] = secure
    # Background jobs (app/jobs): where huey keeps job ids, and how long a silent worker keeps one.
    config["TRUST_JOB_STORE"] = pick("TRUST_JOB_STORE")
    config["TRUST_JOB_QUEUE"] = pick("TRUST_JOB_QUEUE", "trust")
    config["TRUST_JOB_LEASE_SECONDS"] = int(os.environ.get("TRUST_JOB_LEASE_SECONDS", "60"))
    config["TRUST_JOB_RECOVER_SECONDS"] = float(os.environ.get("TRUST_JOB_RECOVER_SECONDS", "15"))
    config["TRUST_JOB_RETRY_DELAY"] = float(os.environ.get("TRUST_JOB_RETRY_DELAY", "5"))
    config["TRUST_JOB_CRON"] = os.environ.get("TRUST_JOB_CRON", "1") != "0"
    config["MAIL_URL"] = pick("MAIL_URL")
    config.update(overrides)
    check_secrets(config)
    if config.get("MAIL_URL"):
        from app.mail.transport import parse_mail_url

        parse_mail_url(str(config["MAIL_URL"]))  # a clear ValueError at start-up, not at first mail
    return config


class WeakSecretError(RuntimeError):
    """A secret too short or too plain to protect what it protects; the app does not start."""


# Minimum length in bytes of each secret, and what it protects (for the message).
SECRET_MINIMUMS = (
    ("SECRET_KEY", 32, "signs session cookies"),
    ("TRUST_TOKEN_SECRET", 32, "keys the voters' pseudonymous tokens"),
    ("TRUST_SIGNING_KEY_PASSPHRASE", 16, "encrypts the trust's signing key"),
    ("TRUST_IMPORT_API_TOKEN", 16, "authorises growth-value imports"),
)
MIN_DISTINCT = 8  # "aaaa…" or "1212…" is long but guessable


def check_secrets(config: dict[str, Any]) -> None:
    """Refuse to start with a weak secret, naming each one and what it needs.

    Checked before anything runs: a weak TRUST_TOKEN_SECRET used to pass start-up and fail
    only at the first vote opening, and a short SECRET_KEY lets cookies be forged offline.
    """
    problems = []
    for name, minimum, purpose in SECRET_MINIMUMS:
        value = config.get(name)
        if value is None and name == "TRUST_IMPORT_API_TOKEN":
            continue  # imports through the API are off without it
        raw = str(value or "").encode()
        if len(raw) < minimum:
            problems.append(f"{name} ({purpose}) has {len(raw)} bytes; it needs at least {minimum}")
        elif len(set(raw)) < MIN_DISTINCT:
            problems.append(f"{name} ({purpose}) repeats too few characters; use a random value")
    if problems:
        raise WeakSecretError(
            "refusing to start with weak secrets: " + "; ".join(problems)
            + ". Generate one with: python3 -c 'import secrets; print(secrets.token_hex(32))'"
        )


def engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # Writers wait for each other instead of failing at once with "database is locked".
        return {"connect_args": {"timeout": 30}}
    # Connections are checked when they come back from a long idle spell (app/core/database.py), not
    # on every checkout.
    return {"pool_size": 5, "max_overflow": 10}
