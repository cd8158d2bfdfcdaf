"""The bench's own PostgreSQL database: created fresh, owners bulk-loaded with COPY.

Only the bulk rows (owners, growth, API tokens, synthetic ballots) bypass the services: they
are what a million real sign-ups would have left behind. The vote itself (charter, key,
proposal, roll freeze, close, seal) goes through the app's own services.
"""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

# The checkout this file lives in: the bench works from any clone.
REPO = Path(__file__).resolve().parent.parent

DB_NAME = os.environ.get("BENCH_DB", "trust_bench")
PG = "postgresql://trust:trust@127.0.0.1:5432/"
PASSWORD = "bench-password-2026"  # noqa: S105 (every bench owner's, on a throwaway db)
SECRETS = {
    "SECRET_KEY": "bench-secret-key-" + "x" * 32,
    "TRUST_SIGNING_KEY_PASSPHRASE": "bench-passphrase",
    "TRUST_TOKEN_SECRET": "bench-token-secret-" + "y" * 32,
    "TRUST_INSECURE_COOKIES": "1",
    "TRUST_NAME": "Bench Trust",
}


def dsn() -> str:
    return PG + DB_NAME


def app_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(SECRETS)
    env["DATABASE_URL"] = "postgresql+psycopg://trust:trust@127.0.0.1:5432/" + DB_NAME
    return env


def api_token(owner_id: int) -> str:
    # Deterministic, so the load generator can derive each client's token from its owner id.
    return f"ot_bench_{owner_id:08d}"


def recreate() -> None:
    for cmd in (f"dropdb --if-exists --force {DB_NAME}", f"createdb -O trust {DB_NAME}"):
        subprocess.run(["su", "postgres", "-c", cmd], check=True)


def migrate() -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", 'app:create_app({"AUTO_MIGRATE": False})',
         "db", "upgrade", "heads"],
        check=True, env=app_env(), cwd=REPO, capture_output=True,
    )


def load_owners(n: int, with_tokens: int, seed: int = 8) -> None:
    """n owners with one growth entry each; API tokens for the first `with_tokens`.

    Points are 100..3,000 so a million owners' total stays below 2**31:
    proposals.roll_total_weight is a 32-bit INTEGER (reported to the lead).
    """
    from argon2 import PasswordHasher

    rng = random.Random(seed)
    pw = PasswordHasher().hash(PASSWORD)  # the production hasher, once for all
    then = datetime.now(UTC) - timedelta(days=60)
    with psycopg.connect(dsn()) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY users (id, external_id, email, display_name, password_hash, role,"
            " vehicle_count, failed_logins, created_at) FROM STDIN"
        ) as copy:
            for i in range(1, n + 1):
                copy.write_row(
                    (i, f"B{i:08d}", f"o{i}@bench.test", f"Owner {i}", pw, "owner", 1, 0, then)
                )
        with cur.copy(
            "COPY growth_entries (owner_id, dimension, points, reason, source, source_id,"
            " occurred_at, recorded_at) FROM STDIN"
        ) as copy:
            for i in range(1, n + 1):
                copy.write_row(
                    (i, "purchase", rng.randint(100, 3_000), "bench", "bench", str(i), then, then)
                )
        with cur.copy(
            "COPY api_tokens (user_id, name, token_sha256, created_at, expires_at) FROM STDIN"
        ) as copy:
            expires = datetime.now(UTC) + timedelta(days=90)
            for i in range(1, with_tokens + 1):
                digest = hashlib.sha256(api_token(i).encode()).hexdigest()
                copy.write_row((i, "bench", digest, then, expires))
        cur.execute("SELECT setval('users_id_seq', %s)", (n,))
        cur.execute("ANALYZE")


def fill_ballots(proposal_id: str, opens: datetime) -> int:
    """One ballot for every roll entry that has none yet, as the casts would have left it.

    Receipts here are unique stand-ins (the seal and the verifier check their form, not their
    signature; the cast workload makes real, signed ones).
    """
    with psycopg.connect(dsn()) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO ballots (proposal_id, token, selection_json, weight, cast_at, nonce,"
            " receipt, signature_json)"
            " SELECT r.proposal_id, r.token,"
            "  (ARRAY['[\"yes\"]','[\"no\"]','[\"abstain\"]','[\"yes\"]'])"
            "   [1 + get_byte(decode(r.token, 'hex'), 0) %% 4],"
            "  r.weight, %s + (get_byte(decode(r.token, 'hex'), 1) * interval '10 seconds'),"
            "  substr(r.token, 1, 32),"
            "  encode(sha256(decode(r.token, 'hex') || 'bench'::bytea), 'hex'), '{}'"
            " FROM roll_entries r WHERE r.proposal_id = %s AND r.live_ballot_id IS NULL"
            " ORDER BY r.owner_id",
            (opens + timedelta(minutes=1), proposal_id),
        )
        added = cur.rowcount
        cur.execute("ANALYZE ballots")
        cur.execute("ANALYZE roll_entries")
        cur.execute(
            "UPDATE roll_entries r SET live_ballot_id = b.id FROM ballots b"
            " WHERE b.proposal_id = r.proposal_id AND b.token = r.token"
            " AND r.proposal_id = %s AND r.live_ballot_id IS NULL",
            (proposal_id,),
        )
        cur.execute("ANALYZE ballots")
    settle()
    return added


def settle() -> None:
    """Leave the tables as days of voting and autovacuum would: vacuumed (hint bits set, so
    the first reader does not write every page) and checkpointed (no flush of the load's dirty
    pages in the middle of a timed read)."""
    with psycopg.connect(dsn(), autocommit=True) as conn:
        # Every table, not only the ballots and the roll: the seal writes its own (the sealed
        # ballot blocks the proofs read), and one left fresh, with no statistics and no hint
        # bits, got its autovacuum in the middle of the timed proofs.
        conn.execute("VACUUM (ANALYZE)")
        try:
            conn.execute("CHECKPOINT")
        except psycopg.errors.InsufficientPrivilege:
            print("no CHECKPOINT: GRANT pg_checkpoint TO trust (see docs/performance.md)")
