"""The running ballot commitment (cron's `ballots.committed` step) at 50,000 ballots, idle-ish.

    BENCH_DB=trust_bench_commit python -m bench.commit_step [--ballots 50000] [--profile]

Builds a vote of N owners on its own PostgreSQL database, gives every ballot a real receipt and
signature (untimed), then times one commit step over all N ballots as cron would run it, and
the parts of a ballot's cost measured alone in the same run: reading the rows, checking the
receipt and signature, hashing the leaf. Prints one JSON object; ms per ballot and how many
ballots one minute's step can absorb are derived from the step's own wall time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import time
from datetime import datetime
from typing import Any

from bench import dataset

PY = sys.executable


def _prepare(n: int) -> dict[str, Any]:
    dataset.recreate()
    dataset.migrate()
    dataset.load_owners(n, 0)
    out = subprocess.run([PY, "-m", "bench.steps", "open", "past"], env=dataset.app_env(),
                         cwd=dataset.REPO, check=True, capture_output=True, text=True).stdout
    opened: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    dataset.fill_ballots(opened["proposal"], datetime.fromisoformat(opened["opens"]))
    return opened


def _sign(proposal_id: str) -> int:
    """Real receipts and signatures for the stand-in ballots (what casting would have stored)."""
    from sqlalchemy import text

    from app.core.extensions import db
    from app.keys import service as keys
    from ballots.receipts import build_receipt, new_nonce
    from ballots.records import format_time

    key = keys.signing_key()
    rows = db.session.execute(
        text("SELECT id, token, selection_json, weight, cast_at FROM ballots"
             " WHERE proposal_id = :p ORDER BY id"), {"p": proposal_id}).all()
    raw: Any = db.session.connection().connection.dbapi_connection
    with raw.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE signed (id bigint, nonce text, receipt text, sig text)")
        with cursor.copy("COPY signed (id, nonce, receipt, sig) FROM STDIN") as copy:
            for ballot_id, token, selection_json, weight, cast_at in rows:
                nonce = new_nonce()
                receipt = key.sign_object(build_receipt(
                    proposal_id, token, json.loads(selection_json), int(weight),
                    format_time(cast_at), nonce))
                copy.write_row((ballot_id, nonce, receipt["receipt"],
                                json.dumps(receipt["signature"])))
        cursor.execute("UPDATE ballots b SET nonce = s.nonce, receipt = s.receipt,"
                       " signature_json = s.sig FROM signed s WHERE b.id = s.id")
        cursor.execute("DROP TABLE signed")
    db.session.commit()
    return len(rows)


def _parts(proposal_id: str) -> dict[str, float]:
    """Each part of a ballot's cost alone, over the same rows, in seconds."""
    from app.keys import service as keys
    from app.voting import commitments
    from ballots.keys import KeyRing

    started = time.perf_counter()
    rows = list(commitments.ballot_rows(proposal_id))
    read = time.perf_counter() - started
    keyring = KeyRing.from_document(keys.published_keys())
    started = time.perf_counter()
    for row in rows:
        assert commitments.ballot_problem(proposal_id, row, keyring) is None
    check = time.perf_counter() - started
    started = time.perf_counter()
    for seq, row in enumerate(rows, 1):
        commitments.leaf_of(seq, row)
    leaves = time.perf_counter() - started
    return {"read_seconds": read, "check_seconds": check, "leaf_seconds": leaves}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=50_000)
    parser.add_argument("--profile", action="store_true", help="print the step's top functions")
    parser.add_argument("--reuse", action="store_true", help="skip set-up (database kept)")
    args = parser.parse_args()
    os.environ.update(dataset.app_env())
    load_before = os.getloadavg()
    if not args.reuse:
        proposal_id = _prepare(args.ballots)["proposal"]
    from sqlalchemy import delete, select

    from app import create_app
    from app.core.extensions import db
    from app.proposals.models import Proposal
    from app.translog import kinds
    from app.translog.models import LogLeaf
    from app.voting import commitments

    with create_app({"AUTO_MIGRATE": False}).app_context():
        if args.reuse:
            proposal_id = db.session.scalar(select(Proposal.id).order_by(Proposal.id.desc()))
            # A fresh first step: the earlier run's commitments are not part of this one.
            db.session.execute(delete(LogLeaf).where(LogLeaf.type == kinds.BALLOTS_COMMITTED))
            db.session.commit()
        else:
            _sign(proposal_id)
        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        outcome = commitments.commit_vote(proposal_id)
        db.session.commit()
        if profiler:
            profiler.disable()
        took = time.perf_counter() - started
        started = time.perf_counter()
        commitments.commit_vote(proposal_id)  # nothing new: the step's fixed cost
        db.session.commit()
        idle_took = time.perf_counter() - started
        parts = _parts(proposal_id)
    assert outcome.problem is None, outcome.problem
    per_ballot_ms = took * 1000 / outcome.committed
    report = {
        "ballots": outcome.committed, "step_seconds": round(took, 3),
        "ms_per_ballot": round(per_ballot_ms, 4),
        "ballots_per_minute_step": int(60_000 / per_ballot_ms),
        "empty_step_seconds": round(idle_took, 4),
        **{k: round(v, 3) for k, v in parts.items()},
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(report))
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
        print(text.getvalue(), file=sys.stderr)


if __name__ == "__main__":
    main()
