"""The physical limits each workload is measured against, on the same machine, same run."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from bench import dataset

PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"

# One ballot row per transaction, shaped like the rows a cast writes (same table definition,
# same indexes), into a scratch copy of the table so the vote under test is untouched.
PGBENCH_SCRIPT = """\
\\set n random(1, 1000000000)
INSERT INTO bench_ballots (proposal_id, token, selection_json, weight, cast_at, nonce, receipt,
 signature_json) VALUES ('bench', md5(:n::text) || md5(:client_id::text), '["yes"]', 1000,
 now(), md5(:n::text), md5(random()::text) || md5(random()::text),
 '{"alg":"Ed25519","key_id":"0000000000000000000000000000000000000000000000000000000000000000","sig":"AAAA"}');
"""


def pgbench_inserts(seconds: float, clients: int = 8) -> dict[str, Any]:
    with psycopg.connect(dataset.dsn(), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_ballots")
        conn.execute(
            "CREATE TABLE bench_ballots (LIKE ballots INCLUDING DEFAULTS INCLUDING INDEXES)"
        )
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as fh:
        fh.write(PGBENCH_SCRIPT)
    env = dict(os.environ, PGPASSWORD="trust")
    out = subprocess.run(
        [PGBENCH, "-n", "-h", "127.0.0.1", "-U", "trust", "-c", str(clients), "-j", "2",
         "-T", str(int(seconds)), "-f", fh.name, "-r", dataset.DB_NAME],
        capture_output=True, text=True, env=env, check=True,
    ).stdout
    os.unlink(fh.name)
    tps = float(re.search(r"tps = ([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    latency = float(re.search(r"latency average = ([0-9.]+) ms", out).group(1))  # type: ignore[union-attr]
    with psycopg.connect(dataset.dsn(), autocommit=True) as conn:
        conn.execute("DROP TABLE bench_ballots")
    return {"tps": tps, "latency_avg_ms": latency, "clients": clients}


def copy_and_hash(proposal_id: str) -> dict[str, Any]:
    """COPY the roll and ballot rows a seal reads out of PostgreSQL and SHA-256 each row."""
    started = time.perf_counter()
    rows = 0
    queries = (
        "COPY (SELECT token, weight FROM roll_entries WHERE proposal_id = %s ORDER BY token)"
        " TO STDOUT",
        # seq is the position in acceptance (id) order, numbered by the seal as it reads.
        "COPY (SELECT id, token, selection_json, weight, cast_at, receipt FROM ballots"
        " WHERE proposal_id = %s ORDER BY id) TO STDOUT",
    )
    sha = hashlib.sha256
    with psycopg.connect(dataset.dsn()) as conn, conn.cursor() as cur:
        for query in queries:
            rest = b""
            with cur.copy(query, (proposal_id,)) as copy:
                for chunk in copy:
                    lines = (rest + bytes(chunk)).split(b"\n")
                    rest = lines.pop()
                    for line in lines:
                        sha(b"\x00" + line).digest()
                    rows += len(lines)
    return {"seconds": time.perf_counter() - started, "rows": rows}


def hash_and_parse(folder: str) -> dict[str, Any]:
    """SHA-256 and a JSON parse of every line of the bundle, the least a verifier must do."""
    started = time.perf_counter()
    rows = 0
    sha, loads = hashlib.sha256, json.loads
    for name in ("roll.jsonl", "ballots.jsonl"):
        with (Path(folder) / name).open("rb") as fh:
            for line in fh:
                sha(b"\x00" + line[:-1]).digest()
                loads(line)
                rows += 1
    return {"seconds": time.perf_counter() - started, "rows": rows}


def main() -> None:
    import sys

    what = sys.argv[1]
    if what == "copy-hash":
        print(json.dumps(copy_and_hash(sys.argv[2])))
    elif what == "hash-parse":
        print(json.dumps(hash_and_parse(sys.argv[2])))


if __name__ == "__main__":
    main()
