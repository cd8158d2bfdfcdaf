"""Casting a secret ballot over HTTP next to an open one, in the same run (issue 19).

    python -m bench.secret_cast [--owners 3000] [--voters 3000] [--seconds 16] [--rounds 4]

On its own PostgreSQL database (BENCH_DB, default trust_bench_secret): owners with API tokens,
one open-ballot vote and one secret vote (three trustees, the key ceremony run in-process).
Each voter's encrypted ballots (one for a warm-up, one per round) are made beforehand, as the
voter's device would; what is measured is the server: the open cast (selection) and the
secret cast (every proof checked) through the same gunicorn, the same load generator and
client count, in alternating rounds (open, secret, open, secret...; --seconds is each cast's
total), after an untimed warm-up of each. Prints and writes
bench/secret-cast-results.json: ballots/s, p50/p99, app+database CPU per ballot, and the
ratio secret/open (the goal: the proof check must not halve the rate, ratio >= 0.5).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("BENCH_DB", "trust_bench_secret")

from bench import dataset  # noqa: E402 (reads BENCH_DB at import)
from bench.run import _db_backend_cpu, _free_port, _tree_cpu, gunicorn, loadgen, step  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WARM_UP_SECONDS = 1.5


def _secret_vote(voters: int, bodies: Path, passes: int = 1) -> str:
    """Open a secret vote on the bench data, run its ceremony, and encrypt ``passes`` ballots
    for each voter (the file holds pass 1 for every voter, then pass 2...; a later pass is
    that voter's revote, as the open cast's owners revote)."""
    os.environ.update(dataset.app_env())
    from sqlalchemy import select

    from app import create_app
    from app.accounts.models import User
    from app.core.db_types import utcnow
    from app.core.extensions import db
    from app.council import service as council
    from app.demo.secret import run_ceremony
    from app.proposals.models import Proposal
    from app.proposals.spec import vote_spec
    from app.secret import ceremony
    from app.voting.models import RollEntry
    from ballots.secret.ballot import encrypt_ballot
    from ballots.secret.trustees import verify_election

    app = create_app({"AUTO_MIGRATE": False})
    with app.app_context():
        now = utcnow()
        trustees = db.session.scalars(select(User).order_by(User.id.desc()).limit(3)).all()
        for user, role in zip(trustees, ("chair", "asset_committee", "proceeds_committee"),
                              strict=True):
            council.seat(user, role, now - timedelta(days=30))
        db.session.commit()
        live = step("open", "now")
        proposal = db.session.get(Proposal, live["proposal"])
        assert proposal is not None
        # The bench charter's kinds are open: this vote is made secret as the charter would.
        proposal.secrecy = "secret"
        ceremony.start(proposal, now, council.seated_member_ids(now))
        db.session.commit()
        run_ceremony(proposal.id, now)
        election = ceremony.election_of(proposal.id)
        assert election is not None and election.election_json
        key = verify_election(json.loads(election.election_json), proposal.id).key
        spec = vote_spec(proposal)
        rows = db.session.execute(
            select(RollEntry.owner_id, RollEntry.token)
            .where(RollEntry.proposal_id == proposal.id, RollEntry.owner_id <= voters)
        ).all()
        with bodies.open("w") as out:
            for _ in range(passes):
                for owner_id, token in rows:
                    cast = encrypt_ballot(spec, key, token, ["yes"]).cast
                    out.write(f"{owner_id}\t{json.dumps(cast, separators=(',', ':'))}\n")
        return str(proposal.id)


def _phase(port: int, seconds: float, args: argparse.Namespace, pid: int,
           **opts: str) -> dict[str, Any]:
    app_before, db_before = _tree_cpu(pid), _db_backend_cpu()
    out = loadgen(str(port), seconds, args.clients, latencies="1", **opts)
    out["app_cpu_s"] = _tree_cpu(pid) - app_before
    out["db_cpu_s"] = _db_backend_cpu() - db_before
    return out


def _pooled(phases: list[dict[str, Any]]) -> dict[str, Any]:
    lat = sorted(x for p in phases for x in p["latencies_ms"])
    done, seconds = len(lat), sum(p["seconds"] for p in phases)
    status: dict[str, int] = {}
    for p in phases:
        for code, count in p["status"].items():
            status[code] = status.get(code, 0) + count
    n = max(1, done)
    return {
        "requests": done, "errors": sum(p["errors"] for p in phases), "seconds": seconds,
        "rate": done / seconds if seconds else 0.0,
        "p50_ms": lat[min(done - 1, done // 2)] if done else 0.0,
        "p99_ms": lat[min(done - 1, int(done * 0.99))] if done else 0.0,
        "status": status,
        "app_cpu_ms_per_ballot": 1000 * sum(p["app_cpu_s"] for p in phases) / n,
        "db_cpu_ms_per_ballot": 1000 * sum(p["db_cpu_s"] for p in phases) / n,
        "rounds": [round(p["rate"], 1) for p in phases],
    }


def _measure(args: argparse.Namespace, open_vote: str, secret_vote: str,
             bodies: list[Path]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both casts on one server, in alternating rounds: the machine's other load, which moves
    from second to second, falls on both alike, and the ratio compares like with like.

    ``bodies`` holds a warm-up file, then one per round with a ballot for every voter: more
    than a round can post, so each secret round, like each open one, runs its whole share of
    the time at full load (a round that ran out of ballots would count its ramp-down)."""
    port = _free_port()
    share = args.seconds / args.rounds
    phases: dict[str, list[dict[str, Any]]] = {"open": [], "secret": []}
    with gunicorn("wsgi:app", args.workers, args.threads, port) as server:
        # Untimed warm-up, as bench.run's cast: the pools' connections, each worker's imports,
        # prepared statements and its election checker (built once per process).
        loadgen(str(port), WARM_UP_SECONDS, args.clients, mode="cast", proposal=open_vote,
                owners=f"1-{args.voters}")
        loadgen(str(port), WARM_UP_SECONDS, args.clients, mode="post",
                path=f"/api/secret/{secret_vote}/ballots", bodies=str(bodies[0]))
        for r in range(args.rounds):
            phases["open"].append(_phase(port, share, args, server.pid, mode="cast",
                                         proposal=open_vote, owners=f"1-{args.voters}"))
            phases["secret"].append(_phase(port, share, args, server.pid, mode="post",
                                           path=f"/api/secret/{secret_vote}/ballots",
                                           bodies=str(bodies[r + 1])))
    return _pooled(phases["open"]), _pooled(phases["secret"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", type=int, default=3000)
    parser.add_argument("--voters", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=16,
                        help="per cast, over all rounds")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    load_before = os.getloadavg()
    dataset.recreate()
    dataset.migrate()
    dataset.load_owners(args.owners, args.voters)
    open_vote = step("open", "now")["proposal"]
    with tempfile.TemporaryDirectory() as tmp:
        bodies = Path(tmp) / "ballots.tsv"
        secret_vote = _secret_vote(args.voters, bodies, passes=args.rounds + 1)
        # One pass of ballots per file: in a file each voter posts once (a ballot posted twice
        # would be a replay); the next file's ballot is that voter's revote.
        lines = bodies.read_text().splitlines(keepends=True)
        per_pass = len(lines) // (args.rounds + 1)
        parts = [Path(tmp) / f"pass-{r}.tsv" for r in range(args.rounds + 1)]
        for r, part in enumerate(parts):
            part.write_text("".join(lines[r * per_pass : (r + 1) * per_pass]))
        dataset.settle()  # no autovacuum of the load's tables in the middle of a round
        opened, secret = _measure(args, open_vote, secret_vote, parts)
    ratio = secret["rate"] / opened["rate"] if opened["rate"] else 0.0
    report = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(),
                    "load_average_before": [round(x, 2) for x in load_before]},
        "args": vars(args),
        "open_cast": opened,
        "secret_cast": secret,
        "secret_over_open_rate": round(ratio, 3),
        "goal": "secret rate >= 0.5 x open rate",
        "met": ratio >= 0.5,
    }
    for name, r in (("open cast", opened), ("secret cast", secret)):
        cpu = r["app_cpu_ms_per_ballot"] + r["db_cpu_ms_per_ballot"]
        print(f"{name:<12} {r['rate']:8.1f} ballots/s  p50 {r['p50_ms']:6.1f} ms  "
              f"p99 {r['p99_ms']:6.1f} ms  CPU {cpu:6.2f} ms/ballot  errors {r['errors']}")
    print(f"secret/open rate: {ratio:.2f} (goal >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'})")
    (ROOT / "bench" / "secret-cast-results.json").write_text(json.dumps(report, indent=2) + "\n")
    sys.exit(0)


if __name__ == "__main__":
    main()
