"""Secret ballots (format 2) next to open ballots (format 1), same machine, same run.

    python bench/secret.py [--quick] [--ballots N] [--workers W] [--cache DIR]

Measures: encrypt and prove one ballot, verify one ballot, both by number of options;
verify a whole bundle of N ballots with `python -m ballots.verify` (wall time and the peak
memory of its whole process tree); decrypt the tally (trustee shares, combination and the
discrete log up to the counted weight). Each beside the open format's figure for the same
work. The N-ballot secret bundle is generated on every core and cached under --cache (by N
and seed), since making a million encrypted ballots with proofs costs more than checking them.
Writes bench/secret-results.json. Not part of the test suite. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ballots import AcceptedBallot, SigningKey, Tally, keys_document  # noqa: E402

# The pure core's open-format bundle builder (no database, no consequences), for comparison.
from ballots import seal as build_open_bundle  # noqa: E402
from ballots.canonical import canonical_bytes, canonical_sha256  # noqa: E402
from ballots.merkle import MerkleStream  # noqa: E402
from ballots.receipts import build_receipt, new_nonce  # noqa: E402
from ballots.records import ballot_record, jsonl_line, roll_record  # noqa: E402
from ballots.roll import Roll  # noqa: E402
from ballots.secret.ballot import BallotChecker, encrypt_ballot  # noqa: E402
from ballots.secret.bundle import (  # noqa: E402
    ballot_record2,
    election_summary,
    tally_document,
)
from ballots.secret.group import Rng  # noqa: E402
from ballots.secret.tally import WeightedSum, decrypt_totals  # noqa: E402
from ballots.secret.trustees import (  # noqa: E402
    TrusteeDealer,
    TrusteeShare,
    combine_shares,
    decryption_share,
    election_document,
    verify_election,
)
from ballots.tally import VoteSpec, compute_outcome  # noqa: E402

PY = sys.executable
OPENS, CLOSES, CAST, SEALED = (
    "2026-11-01T00:00:00Z", "2026-11-30T00:00:00Z", "2026-11-15T12:00:00Z", "2026-11-30T00:05:00Z"
)
TRUST = "Bench Owners' Trust"
K, N_TRUSTEES = 3, 5
MAX_WEIGHT = 1 << 21  # so that a million ballots weigh about 2**40 in all


def spec_for(options: int = 3, method: str = "binary") -> VoteSpec:
    if method == "binary":
        opts: tuple[tuple[str, str], ...] = (("yes", "Yes"), ("no", "No"), ("abstain", "A"))
    else:
        opts = tuple((f"o{i}", f"Option {i}") for i in range(options))
    seats = max(1, options // 2) if method == "approval" else 1
    return VoteSpec(id="bench-secret", title="Bench", method=method, options=opts,
                    opens_at=OPENS, closes_at=CLOSES, weight_rule="linear", quorum=(1, 10),
                    threshold=(1, 2), seats=seats)


def token_of(i: int) -> str:
    return hashlib.sha256(f"bench voter {i}".encode()).hexdigest()


def weight_of(i: int) -> int:
    return random.Random(i).randrange(1, MAX_WEIGHT)


def choice_of(i: int) -> str:
    return ("yes", "yes", "no", "abstain")[i % 4]


def per_op(fn: Callable[[], Any], n: int) -> float:
    """CPU seconds per call in this one process: on a shared machine, wall time measures the
    neighbours as much as the work."""
    fn()
    started = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - started) / n


def micro(args: argparse.Namespace, key: bytes) -> list[dict[str, Any]]:
    """One ballot: secret encrypt+prove and verify, open build+sign and count, by options."""
    rows: list[dict[str, Any]] = []
    n = 10 if args.quick else 60
    signer = SigningKey.generate()
    for options, method in ((3, "binary"), (2, "approval"), (5, "approval"), (10, "approval")):
        spec = spec_for(options, method)
        pick = [spec.option_ids[0]]
        token = token_of(1)
        enc = per_op(lambda: encrypt_ballot(spec, key, token, pick), n)  # noqa: B023
        cast = encrypt_ballot(spec, key, token, pick).cast
        checker = BallotChecker(spec, key)
        ver = per_op(lambda: checker.check_cast(cast), n)  # noqa: B023

        def open_cast() -> None:
            receipt = build_receipt(spec.id, token, pick, 1000, CAST, new_nonce())  # noqa: B023
            signer.sign_object(receipt)

        roll = Roll.from_mapping({token_of(i): 1000 for i in range(1000)})
        tally = Tally(spec, roll)
        lines = [canonical_bytes(ballot_record(i + 1, token_of(i), pick, 1000, CAST, "ab" * 32))
                 for i in range(1000)]

        def open_count() -> None:
            tally.seq = 0  # recount the same 1000 lines  # noqa: B023
            for line in lines:  # noqa: B023
                tally.add_line(line)  # noqa: B023

        open_enc = per_op(open_cast, n * 10)
        open_ver = per_op(open_count, 3) / 1000
        label = f"{method}, {options} options" + (f", up to {spec.seats}" if method ==
                                                   "approval" else "")
        rows.append(row(f"encrypt+prove 1 ballot, CPU ({label})", enc * 1000, "ms",
                        open_enc * 1000, "open: receipt built and signed"))
        rows.append(row(f"verify 1 ballot, CPU ({label})", ver * 1000, "ms", open_ver * 1000,
                        "open: count one line"))
    return rows


def row(workload: str, figure: float, unit: str, limit: float | None, limit_what: str,
        goal: str = "-", met: bool | None = None) -> dict[str, Any]:
    ratio = round(figure / limit, 1) if limit else None
    return {"workload": workload, "figure": round(figure, 3), "unit": unit,
            "limit": None if limit is None else round(limit, 4), "limit_what": limit_what,
            "ratio": ratio, "goal": goal, "met": met}


_GEN: dict[str, Any] = {}


def _gen_chunk(task: tuple[int, int, str]) -> tuple[int, list[str]]:
    start, count, path = task
    spec, key = _GEN["spec"], _GEN["key"]
    rng = Rng(hashlib.sha256(f"bench chunk {start}".encode()).digest())
    acc = WeightedSum(len(spec.option_ids))
    with open(path, "wb") as out:
        for i in range(start, start + count):
            enc = encrypt_ballot(spec, key, token_of(i), [choice_of(i)], rng)
            out.write(jsonl_line(ballot_record2(i + 1, enc.cast, CAST)))
            cts = [(bytes.fromhex(a), bytes.fromhex(b)) for a, b in enc.cast["ciphertexts"]]
            acc.add(cts, weight_of(i))
    return start, [p.hex() for pair in zip(acc.a, acc.b, strict=True) for p in pair]


def make_bundles(n: int, workers: int, cache: Path) -> tuple[Path, Path, dict[str, Any]]:
    """The secret and the open bundle of the same n ballots (cached)."""
    secret_dir, open_dir = cache / f"secret-{n}", cache / f"open-{n}"
    info_file = secret_dir / "bench-info.json"
    if info_file.exists() and (open_dir / "result.json").exists():
        return secret_dir, open_dir, json.loads(info_file.read_text())
    secret_dir.mkdir(parents=True, exist_ok=True)
    open_dir.mkdir(parents=True, exist_ok=True)
    rng = Rng(b"bench trustees")
    spec = spec_for()
    dealers = [TrusteeDealer.generate(i, K, rng) for i in range(1, N_TRUSTEES + 1)]
    doc = election_document(spec.id, K, [d.public(spec.id, f"Trustee {d.index}", rng)
                                         for d in dealers])
    election = verify_election(doc, spec.id)
    shares = [TrusteeShare.combine(spec.id, j, [d.share_for(j) for d in dealers])
              for j in range(1, N_TRUSTEES + 1)]
    signer = SigningKey.from_private_bytes(hashlib.sha256(b"bench signer").digest())
    keys = canonical_bytes(keys_document(TRUST, [signer.public_entry(OPENS)])) + b"\n"

    started = time.perf_counter()
    _GEN.update(spec=spec, key=election.key)
    chunk = 2000
    tasks = [(s, min(chunk, n - s), str(secret_dir / f"part-{s}.tmp")) for s in range(0, n, chunk)]
    acc = WeightedSum(len(spec.option_ids))
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for _, flat in pool.imap_unordered(_gen_chunk, tasks):
            part = WeightedSum(len(spec.option_ids))
            pts = [bytes.fromhex(h) for h in flat]
            part.a, part.b = pts[0::2], pts[1::2]
            acc.merge(part)
    ballots_tree = MerkleStream()
    with open(secret_dir / "ballots.jsonl", "wb") as out:
        for _, _, path in tasks:
            data = Path(path).read_bytes()
            lines = data.split(b"\n")[:-1]
            ballots_tree.extend(lines)
            out.write(data)
            os.unlink(path)
    generate_seconds = time.perf_counter() - started

    weights = {token_of(i): weight_of(i) for i in range(n)}
    roll = Roll.from_mapping(weights)
    roll_tree = MerkleStream()
    with open(secret_dir / "roll.jsonl", "wb") as out:
        for i in range(len(roll)):
            line = jsonl_line(roll_record(roll.token_at(i), roll.weight_at(i)))
            roll_tree.append(line[:-1])
            out.write(line)
    cts = acc.ciphertexts()
    started = time.perf_counter()
    entries = [decryption_share(shares[j - 1], cts) for j in range(1, K + 1)]
    share_seconds = time.perf_counter() - started
    from ballots.secret.trustees import check_decryption_share

    started = time.perf_counter()
    checked = dict(check_decryption_share(election, e, cts) for e in entries)
    plain = combine_shares(K, checked, cts)
    counted_weight = roll.total_weight
    totals = dict(zip(spec.option_ids, decrypt_totals(plain, counted_weight), strict=True))
    decrypt_seconds = time.perf_counter() - started
    outcome = compute_outcome(spec, totals, counted_weight, roll.total_weight)
    tally_doc = tally_document(spec.id, cts, entries)
    result = {
        "type": "result", "format": 2, "trust": TRUST,
        "charter": {"version": 1, "sha256": "ab" * 32}, "proposal": spec.to_json(),
        "roll": {"size": len(roll), "total_weight": roll.total_weight,
                 "root": roll_tree.root().hex()},
        "ballots": {"size": ballots_tree.size, "root": ballots_tree.root().hex()},
        "election": election_summary(doc),
        "encrypted_tally": {"sha256": canonical_sha256(tally_doc)},
        "tally": {"counted": n, "counted_weight": counted_weight, "totals": totals,
                  "quorum_met": outcome.quorum_met, "outcome": outcome.outcome,
                  "winners": outcome.winners},
        "supersedes": None, "sealed_at": SEALED,
    }
    for name, obj in (("result.json", signer.sign_object(result)), ("election.json", doc),
                      ("tally.json", tally_doc)):
        (secret_dir / name).write_bytes(canonical_bytes(obj) + b"\n")
    (secret_dir / "trust-keys.json").write_bytes(keys)

    sealed = build_open_bundle(signer, trust=TRUST, charter_version=1, charter_sha256="ab" * 32,
                  spec=spec,
                  roll=weights, sealed_at=SEALED,
                  ballots=(AcceptedBallot(token_of(i), [choice_of(i)], CAST, "cd" * 32)
                           for i in range(n)))
    (open_dir / "result.json").write_bytes(canonical_bytes(sealed.result) + b"\n")
    (open_dir / "roll.jsonl").write_bytes(b"".join(sealed.roll_lines))
    (open_dir / "ballots.jsonl").write_bytes(b"".join(sealed.ballot_lines))
    (open_dir / "trust-keys.json").write_bytes(keys)
    info = {"generate_seconds": generate_seconds, "share_seconds": share_seconds,
            "decrypt_seconds": decrypt_seconds, "counted_weight": counted_weight,
            "bundle_bytes": sum(p.stat().st_size for p in secret_dir.iterdir()),
            "open_bundle_bytes": sum(p.stat().st_size for p in open_dir.iterdir())}
    info_file.write_text(json.dumps(info))
    return secret_dir, open_dir, info


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def run_verify(bundle: Path, workers: int) -> tuple[float, float, float, str]:
    """Wall seconds, peak tree memory (MB) and CPU seconds of `python -m ballots.verify`.

    CPU time counts every process of the run (the pool's workers are reaped by the verifier,
    the verifier by us), so on a shared machine it says what the wall time would be on
    dedicated cores: CPU seconds / cores.
    """
    before = os.times()
    started = time.perf_counter()
    # The bundle's own checks only: a bench bundle is in no log (--skip-log).
    cmd = [PY, "-m", "ballots.verify", str(bundle), "--skip-log", "--workers", str(workers)]
    proc = subprocess.Popen(cmd,
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kb(proc.pid))
        time.sleep(0.25)
    out, err = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"verify failed: {err.decode()[-2000:]}")
    wall = time.perf_counter() - started
    after = os.times()
    cpu = (after.children_user + after.children_system
           - before.children_user - before.children_system)
    return wall, peak / 1024, cpu, out.decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 ballots, a minute or two")
    parser.add_argument("--ballots", type=int, default=None, help="bundle size (1,000,000)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--cache", type=Path,
                        default=Path(tempfile.gettempdir()) / "owners-trust-secret-bench")
    args = parser.parse_args()
    n = args.ballots or (2000 if args.quick else 1_000_000)
    load_before = os.getloadavg()
    began = time.perf_counter()
    key = verify_election(election_document("bench-secret", 1, [TrusteeDealer.generate(
        1, 1, Rng(b"k")).public("bench-secret", "t", Rng(b"p"))]), "bench-secret").key
    rows = micro(args, key)
    secret_dir, open_dir, info = make_bundles(n, args.workers, args.cache)
    open_wall, open_mb, open_cpu = run_verify(open_dir, args.workers)[:3]
    wall, mb, cpu, summary = run_verify(secret_dir, args.workers)
    cores = args.workers
    scale = 1_000_000 / n
    rows += [
        row(f"verify {n:,}-ballot bundle", wall, "s", open_wall, "open format, same ballots",
            "<= 600 s at 1M" if n == 1_000_000 else "-",
            wall <= 600 if n == 1_000_000 else None),
        row(f"verify {n:,}-ballot bundle, peak memory (all processes)", mb, "MB", open_mb,
            "open format, same ballots", "<= 500 MB" if n == 1_000_000 else "-",
            mb <= 500 if n == 1_000_000 else None),
        row("verify: per ballot (wall, all cores)", wall / n * 1000, "ms",
            open_wall / n * 1000, "open format"),
        row("verify: CPU per ballot (all processes)", cpu / n * 1000, "ms",
            open_cpu / n * 1000, "open format"),
        row(f"generate {n:,} encrypted ballots (all cores)", info["generate_seconds"], "s",
            None, ""),
        row(f"decrypt tally: {K} trustees' shares with proofs", info["share_seconds"] * 1000,
            "ms", None, ""),
        row(f"decrypt tally: check shares, combine, discrete log up to "
            f"{info['counted_weight']:,} (~2^{info['counted_weight'].bit_length()})",
            info["decrypt_seconds"], "s", None, ""),
        row("bundle size", info["bundle_bytes"] / 1e6, "MB", info["open_bundle_bytes"] / 1e6,
            "open format"),
    ]
    if n != 1_000_000:
        rows.append(row(f"verify 1,000,000 ballots EXTRAPOLATED linearly from {n:,} (wall)",
                        wall * scale, "s", open_wall * scale, "open format, extrapolated",
                        "<= 600 s", wall * scale <= 600))
    rows.append(row(f"verify 1,000,000 ballots on {cores} dedicated cores: CPU seconds / "
                    f"{cores}, EXTRAPOLATED from {n:,}", cpu * scale / cores, "s",
                    open_cpu * scale / cores, "open format, same estimate", "<= 600 s",
                    cpu * scale / cores <= 600))
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(),
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "options": {"quick": args.quick, "ballots": n, "workers": args.workers},
        "rows": rows,
        "verify_summary": summary.splitlines(),
        "total_seconds": round(time.perf_counter() - began, 1),
    }
    for r in rows:
        limit = "" if r["limit"] is None else f"  (open: {r['limit']} {r['unit']}, x{r['ratio']})"
        print(f"{r['workload']:<78} {r['figure']:>12} {r['unit']}{limit}")
    (ROOT / "bench" / "secret-results.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote bench/secret-results.json ({report['total_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
