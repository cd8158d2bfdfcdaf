"""One measured step per process, so each reports its own wall time and peak memory.

    python -m bench.steps open past|now | sign-commit ID | close-seal ID | export ID DIR |
        proofs ID N

Each prints one JSON object on stdout. Run with the bench's environment (dataset.app_env()).
"""

from __future__ import annotations

import json
import random
import resource
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any


def _app() -> Any:
    from app import create_app

    return create_app({"AUTO_MIGRATE": False})


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def open_vote(when: str) -> dict[str, Any]:
    """A proposal taken to open (which freezes the roll); the first also installs the charter.

    `past`: its window has already closed (for sealing); `now`: open now (for casting).
    """
    from sqlalchemy import select

    from app.accounts.models import User
    from app.accounts.services import create_user
    from app.charter import service as charter
    from app.core.db_types import utcnow
    from app.core.extensions import db
    from app.keys import service as keys
    from app.proposals import service as proposals
    from governance.default_charter import default_rules

    with _app().app_context():
        now = utcnow()
        council = db.session.scalar(select(User).where(User.email == "council@bench.test"))
        if council is None:
            keys.ensure_key(valid_from=now - timedelta(days=400))
            rules = default_rules()
            for kind in rules["voting"]["kinds"].values():
                kind["secrecy"] = "open"  # the open cast is measured; bench.secret_cast the other
            charter.install_first(
                "# Bench charter\n\nArt. 1.", rules, at=now - timedelta(days=365)
            )
            council = create_user(
                display_name="Bench council", email="council@bench.test", password="x" * 16,
                role="council", check_policy=False,
            )
            db.session.commit()
        if when == "past":
            opens, closes = now - timedelta(hours=80), now - timedelta(minutes=5)
        else:
            opens, closes = now - timedelta(hours=2), now + timedelta(hours=72)
        draft = proposals.Draft(
            kind="spending",
            title="Fund owner meet-ups in every province",
            body="A proposal body long enough to be accepted by the form and the rules.",
            fields={
                "amount_fen": 100_000_00,
                "category": "owner_care",
                "beneficiary": "Owners in hardship",
                "purpose": "Roadside help for owners in hardship.",
            },
            options=[],
        )
        drafted = opens - timedelta(days=1)
        proposal = proposals.create_draft(council, draft, now=drafted)
        proposals.submit(proposal, council, now=drafted)
        # The council's motion paperwork is not what is measured: take the accept step itself.
        proposals._set_window(proposal, opens, closes, drafted)
        proposals.move(
            proposal, "accept", council, "bench", now=drafted, passed_motion="accept_proposal"
        )
        db.session.commit()
        started = time.perf_counter()
        proposals.open_vote(proposal, opens)
        db.session.commit()
        took = time.perf_counter() - started
        return {
            "proposal": proposal.id, "opens": opens.isoformat(), "roll_size": proposal.roll_size,
            "seconds": took, "peak_mb": _peak_mb(),
        }


def close_seal(proposal_id: str) -> dict[str, Any]:
    from app.core.extensions import db
    from app.decisions.votes import close_and_seal
    from app.proposals import service as proposals

    with _app().app_context():
        proposal = proposals.get(proposal_id)
        proposals.close_vote(proposal, now=proposal.closes_at)
        db.session.commit()
        before = _peak_mb()
        started = time.perf_counter()
        # The seal with its consequence (this spending vote's budget), as cron runs it.
        row = close_and_seal(proposal).row
        db.session.commit()
        took = time.perf_counter() - started
        result = json.loads(row.result_json)
        return {
            "seconds": took, "peak_mb": _peak_mb(), "peak_mb_before": before,
            "ballots": result["ballots"]["size"], "roll": result["roll"]["size"],
        }


def export(proposal_id: str, folder: str) -> dict[str, Any]:
    """The bundle a verifier downloads, written through the same service code the routes use."""
    from app.keys import service as keys
    from app.results import service as results

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    with _app().app_context():
        started = time.perf_counter()
        row = results.current_result(proposal_id)
        (out / "result.json").write_bytes(results.result_bytes(row))
        (out / "trust-keys.json").write_text(json.dumps(keys.published_keys()))
        for name, lines in (
            ("roll.jsonl", results.roll_jsonl(proposal_id)),
            ("ballots.jsonl", results.ballots_jsonl(proposal_id)),
        ):
            with (out / name).open("wb") as fh:
                for line in lines:
                    fh.write(line)
        return {"seconds": time.perf_counter() - started, "peak_mb": _peak_mb()}


WARM_UP = 5


def proofs(proposal_id: str, count: int) -> dict[str, Any]:
    """Server time of inclusion_for_receipt for random receipts (a fresh session each)."""
    from sqlalchemy import func, select

    from app.core.extensions import db
    from app.voting.models import Ballot

    with _app().app_context():
        size = db.session.scalar(
            select(func.count()).select_from(Ballot).where(Ballot.proposal_id == proposal_id)
        )
        rng = random.Random(5)
        # The first WARM_UP proofs are not timed: they pay once per process for compiling the
        # statements (7-10 ms), as a server worker does on its first proof, not on every one.
        seqs = [rng.randint(1, size) for _ in range(count + WARM_UP)]
        # seq numbers the ballots in acceptance (id) order: one numbered pass picks them all.
        numbered = (
            select(Ballot.receipt, func.row_number().over(order_by=Ballot.id).label("seq"))
            .where(Ballot.proposal_id == proposal_id)
            .subquery()
        )
        found = dict(
            db.session.execute(
                select(numbered.c.seq, numbered.c.receipt).where(numbered.c.seq.in_(set(seqs)))
            ).all()
        )
        picked = [(s, found[s]) for s in seqs]
        receipts = [receipt for _, receipt in picked]
        db.session.remove()
        passes = [_timed_proofs(proposal_id, picked) for _ in range(2)]
        first, second = passes
        return {
            "p50_ms": first["p50_ms"], "p99_ms": first["p99_ms"],
            "misses_per_proof": first["misses_per_proof"],
            "proofs_with_misses": first["proofs_with_misses"],
            "warm_p99_ms": first["warm_p99_ms"],
            "second_pass": second,
            "receipts": receipts[:50], "peak_mb": _peak_mb(),
        }


def _buffer_misses() -> int:
    """Blocks this database's tables, indexes and TOAST read from outside shared buffers so
    far, with this backend's pending counts flushed first (PostgreSQL 15 batches them)."""
    from sqlalchemy import text

    from app.core.extensions import db

    db.session.execute(text("SELECT pg_stat_force_next_flush()"))
    db.session.execute(text("SELECT pg_stat_clear_snapshot()"))
    return int(db.session.scalar(text(
        "SELECT coalesce(sum(heap_blks_read + coalesce(idx_blks_read, 0)"
        " + coalesce(toast_blks_read, 0) + coalesce(tidx_blks_read, 0)), 0)"
        " FROM pg_statio_user_tables")) or 0)


def _timed_proofs(proposal_id: str, picked: list[tuple[int, str]]) -> dict[str, Any]:
    """One pass over the picked receipts. Each proof is timed alone; the buffer misses around
    it are counted outside the timing, so a slow proof can be told apart as one that went to
    the OS (or the disk) for its blocks rather than one that lost the CPU."""
    from app.core.extensions import db
    from app.results import service as results

    times: list[tuple[float, int]] = []
    for seq, receipt in picked:
        misses_before = _buffer_misses()
        db.session.remove()
        started = time.perf_counter()
        # The same work as the proof route: the current seal, then the proof.
        row = results.current_head(proposal_id)
        assert row is not None
        proof = results.inclusion_for_receipt(row, receipt)
        took = time.perf_counter() - started
        db.session.remove()
        times.append((took, _buffer_misses() - misses_before))
        db.session.remove()
        if proof is None or proof["seq"] != seq:
            raise SystemExit(f"no proof, or the wrong seq, for {receipt}")
    timed = times[WARM_UP:]
    ordered = sorted(t for t, _ in timed)
    warm = sorted(t for t, misses in timed if misses == 0) or [float("nan")]

    def p99(values: list[float]) -> float:
        return 1000 * values[min(len(values) - 1, int(len(values) * 0.99))]

    return {
        "p50_ms": 1000 * ordered[len(ordered) // 2],
        "p99_ms": p99(ordered),
        "warm_p99_ms": p99(warm),
        "misses_per_proof": sum(m for _, m in timed) / len(timed),
        "proofs_with_misses": sum(1 for _, m in timed if m),
    }


def sign_commit(proposal_id: str) -> dict[str, Any]:
    """Untimed set-up after dataset.fill_ballots: give every stand-in ballot a real receipt
    and signature, then commit them to the log as cron does while a vote runs, so the seal
    measured next checks what it checks in production (the commitments, not a million
    signatures one by one)."""
    import json as json_

    from sqlalchemy import text

    from app.core.extensions import db
    from app.keys import service as keys
    from app.voting import commitments
    from ballots.receipts import build_receipt, new_nonce
    from ballots.records import format_time

    with _app().app_context():
        started = time.perf_counter()
        key = keys.signing_key()
        rows = db.session.execute(
            text(
                "SELECT id, token, selection_json, weight, cast_at FROM ballots"
                " WHERE proposal_id = :p ORDER BY id"
            ),
            {"p": proposal_id},
        ).all()
        raw: Any = db.session.connection().connection.dbapi_connection
        with raw.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE signed (id bigint, nonce text, receipt text, sig text)"
            )
            with cursor.copy("COPY signed (id, nonce, receipt, sig) FROM STDIN") as copy:
                for ballot_id, token, selection_json, weight, cast_at in rows:
                    nonce = new_nonce()
                    receipt = key.sign_object(build_receipt(
                        proposal_id, token, json_.loads(selection_json), int(weight),
                        format_time(cast_at), nonce,
                    ))
                    copy.write_row((ballot_id, nonce, receipt["receipt"],
                                    json_.dumps(receipt["signature"])))
            cursor.execute(
                "UPDATE ballots b SET nonce = s.nonce, receipt = s.receipt,"
                " signature_json = s.sig FROM signed s WHERE b.id = s.id"
            )
            cursor.execute("DROP TABLE signed")
        db.session.commit()
        signed = time.perf_counter() - started
        outcome = commitments.commit_vote(proposal_id)
        db.session.commit()
        return {"signed": len(rows), "sign_seconds": signed,
                "committed": outcome.count, "problem": outcome.problem,
                "seconds": time.perf_counter() - started}


def main(argv: list[str]) -> None:
    step, args = argv[0], argv[1:]
    if step == "open":
        out = open_vote(args[0])
    elif step == "close-seal":
        out = close_seal(args[0])
    elif step == "export":
        out = export(args[0], args[1])
    elif step == "proofs":
        out = proofs(args[0], int(args[1]))
    elif step == "sign-commit":
        out = sign_commit(args[0])
    else:
        raise SystemExit(f"unknown step {step}")
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
