"""Benchmarks: cast, seal, verify, read and proofs, each next to the limit that bounds it.

    python bench/run.py [--quick] [--owners N] [--cast-seconds S] [--clients C]

Builds its own PostgreSQL database (dropped and recreated), prints a table and writes
bench/results.json. Not part of the test suite. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import dataset, limits  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def run_measured(argv: list[str], env: dict[str, str] | None = None) -> tuple[str, float, float]:
    """Run a child; return its stdout, wall seconds and peak RSS in MB (from wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env or dataset.app_env(), cwd=ROOT, stdout=out,
                                stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise SystemExit(f"{' '.join(argv)} failed:\n{err.read().decode()[-3000:]}")
        return out.read().decode(), took, usage.ru_maxrss / 1024


def step(*args: str) -> dict[str, Any]:
    out, _, _ = run_measured([PY, "-m", "bench.steps", *args])
    return json.loads(out.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"gunicorn did not listen on {port}")


@contextmanager
def gunicorn(app: str, workers: int, threads: int, port: int) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        [GUNICORN, "-w", str(workers), "-k", "gthread", "--threads", str(threads),
         "-b", f"127.0.0.1:{port}", "--log-level", "warning", app],
        env=dataset.app_env(), cwd=ROOT,
    )
    try:
        _wait_port(port)
        # Workers boot after the master listens; a short load makes every one of them ready
        # (app imported, pool connected) before anything is measured.
        warm = {"wsgi:app": "/.well-known/trust-keys.json",
                "bench.empty_view:app": "/__bench/empty"}.get(app, "/")
        loadgen(str(port), 3, 4, mode="get", path=warm)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _tree_cpu(root_pid: int) -> float:
    """CPU seconds (user + system) of a process and its children, from /proc."""
    total = 0.0
    pids = [root_pid]
    children = subprocess.run(["pgrep", "-P", str(root_pid)], capture_output=True, text=True)
    pids += [int(p) for p in children.stdout.split()]
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return total


def _db_backend_cpu() -> float:
    import psycopg

    with psycopg.connect(dataset.dsn()) as conn:
        pids = [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (dataset.DB_NAME,),
        )]
    return sum(_tree_cpu(p) for p in pids)


def loadgen(port: str, seconds: float, clients: int, **opts: str) -> dict[str, Any]:
    argv = [PY, "-m", "bench.loadgen", "--port", port, "--seconds", str(seconds),
            "--clients", str(clients)]
    for key, value in opts.items():
        argv += [f"--{key.replace('_', '-')}", value]
    out, _, _ = run_measured(argv, env=dict(os.environ))
    return json.loads(out)


def seal_limit(proposal_id: str) -> dict[str, Any]:
    out, _, _ = run_measured([PY, "-m", "bench.limits", "copy-hash", proposal_id])
    return dict(json.loads(out))


def cast_workload(proposal: str, args: argparse.Namespace) -> dict[str, Any]:
    port = _free_port()
    owners = f"1-{args.voters}"
    with gunicorn("wsgi:app", args.workers, args.threads, port) as server:
        # Warm-up: connections in the pool, code paths imported.
        loadgen(str(port), 2, args.clients, mode="cast", proposal=proposal, owners=owners)
        app_before, db_before = _tree_cpu(server.pid), _db_backend_cpu()
        cast = loadgen(str(port), args.cast_seconds, args.clients, mode="cast",
                       proposal=proposal, owners=owners)
        cast["app_cpu_ms_per_ballot"] = 1000 * (_tree_cpu(server.pid) - app_before) / max(
            1, cast["requests"])
        cast["db_cpu_ms_per_ballot"] = 1000 * (_db_backend_cpu() - db_before) / max(
            1, cast["requests"])
    return cast


def two_hosts_workload(proposal: str, args: argparse.Namespace) -> dict[str, Any]:
    """Two independent app servers (separate ports, one worker each) on one database."""
    ports = [_free_port(), _free_port()]
    with gunicorn("wsgi:app", 1, args.threads, ports[0]), \
            gunicorn("wsgi:app", 1, args.threads, ports[1]):
        return loadgen(",".join(map(str, ports)), args.cast_seconds, args.clients, mode="cast",
                       proposal=proposal, owners=f"1-{args.voters}", choice="no")


def hello_workload(args: argparse.Namespace, clients: int, seconds: float) -> dict[str, Any]:
    port = _free_port()
    with gunicorn("bench.hello:app", args.workers, args.threads, port):
        return loadgen(str(port), seconds, clients, mode="get", path="/")


def framework_workload(args: argparse.Namespace, clients: int, seconds: float) -> dict[str, Any]:
    port = _free_port()
    with gunicorn("bench.empty_view:app", args.workers, args.threads, port):
        return loadgen(str(port), seconds, clients, mode="get", path="/__bench/empty")


def read_workload(proposal: str, args: argparse.Namespace) -> dict[str, Any]:
    port = _free_port()
    out = {}
    with gunicorn("wsgi:app", args.workers, args.threads, port):
        for name, path in (("page", f"/results/{proposal}/"),
                           ("json", f"/results/{proposal}/result.json")):
            loadgen(str(port), 1, 8, mode="get", path=path)
            out[name] = loadgen(str(port), args.read_seconds, 64, mode="get", path=path)
    return out


def row(workload: str, figure: float, unit: str, limit: float | None, limit_what: str,
        ratio: float | None, goal: str, met: bool | None, **extra: Any) -> dict[str, Any]:
    return {"workload": workload, "figure": round(figure, 3), "unit": unit,
            "limit": None if limit is None else round(limit, 3), "limit_what": limit_what,
            "ratio": None if ratio is None else round(ratio, 3), "goal": goal, "met": met,
            **extra}


def print_table(rows: list[dict[str, Any]]) -> None:
    head = f"{'workload':<22} {'figure':>16} {'limit':>26} {'ratio':>7}  {'goal':<28} met?"
    print(head)
    print("-" * len(head))
    for r in rows:
        limit = "" if r["limit"] is None else f"{r['limit']:g} ({r['limit_what']})"
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
        met = {True: "yes", False: "NO", None: "-"}[r["met"]]
        print(f"{r['workload']:<22} {r['figure']:>10g} {r['unit']:<5} {limit:>26} {ratio:>7}  "
              f"{r['goal']:<28} {met}")


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """The table for docs/performance.md, from the same rows the terminal table shows."""
    lines = ["| workload | figure | limit (same run) | ratio | goal | met? |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        limit = "" if r["limit"] is None else f"{_num(r['limit'])} {r['unit']} ({r['limit_what']})"
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
        met = {True: "yes", False: "**no**", None: ""}[r["met"]]
        lines.append(f"| {r['workload']} | {_num(r['figure'])} {r['unit']} | {limit} | {ratio} | "
                     f"{r['goal'] if r['goal'] != '-' else ''} | {met} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under 2 minutes")
    parser.add_argument("--owners", type=int, help="owners = roll = ballots sealed (1,000,000)")
    parser.add_argument("--voters", type=int, default=20_000, help="owners with API tokens")
    parser.add_argument("--cast-seconds", type=float)
    parser.add_argument("--read-seconds", type=float)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--proofs", type=int, default=1000)
    parser.add_argument("--report", action="store_true",
                        help="print bench/results.json's table as Markdown and stop")
    args = parser.parse_args()
    if args.report:
        print(markdown_table(json.loads((ROOT / "bench" / "results.json").read_text())["rows"]))
        return
    args.owners = args.owners or (20_000 if args.quick else 1_000_000)
    args.voters = min(args.voters, args.owners)
    args.cast_seconds = args.cast_seconds or (6 if args.quick else 30)
    args.read_seconds = args.read_seconds or (4 if args.quick else 15)
    pg_seconds = 5 if args.quick else 15
    bundle = str(ROOT / "bench" / "bundle")
    started = time.perf_counter()
    # Other work on the machine depresses every absolute figure: the load is recorded.
    load_before = os.getloadavg()
    figures: dict[str, Any] = {}

    print(f"setting up {args.owners:,} owners in {dataset.DB_NAME} ...", flush=True)
    t = time.perf_counter()
    dataset.recreate()
    dataset.migrate()
    dataset.load_owners(args.owners, args.voters)
    figures["load_seconds"] = time.perf_counter() - t
    past = step("open", "past")
    live = step("open", "now")
    figures["open"] = past
    print(f"open (freeze roll of {past['roll_size']:,}): {past['seconds']:.1f} s", flush=True)

    print("cast ...", flush=True)
    figures["pgbench"] = limits.pgbench_inserts(pg_seconds)
    figures["cast"] = cast_workload(live["proposal"], args)
    figures["two_hosts"] = two_hosts_workload(live["proposal"], args)
    figures["hello_cast"] = hello_workload(args, args.clients, args.cast_seconds)
    figures["framework_cast"] = framework_workload(args, args.clients, args.cast_seconds)

    print("seal ...", flush=True)
    dataset.fill_ballots(past["proposal"], datetime.fromisoformat(past["opens"]))
    # Real receipts and the running commitment cron would have made (untimed set-up).
    out, _took, _peak = run_measured([PY, "-m", "bench.steps", "sign-commit", past["proposal"]])
    figures["sign_commit"] = json.loads(out.strip().splitlines()[-1])
    limit_runs = [seal_limit(past["proposal"])]
    out, took, peak = run_measured([PY, "-m", "bench.steps", "close-seal", past["proposal"]])
    figures["seal"] = json.loads(out.strip().splitlines()[-1]) | {"process_peak_mb": peak}
    dataset.settle()  # the seal's own writes are flushed before the limit reads again
    limit_runs.append(seal_limit(past["proposal"]))
    # The quicker of the two reads is the limit: the strictest comparison for the seal.
    figures["seal_limit"] = min(limit_runs, key=lambda run: run["seconds"]) | {
        "runs_seconds": [run["seconds"] for run in limit_runs]
    }

    print("verify ...", flush=True)
    figures["export"] = step("export", past["proposal"], bundle)
    out, took, peak = run_measured([PY, "-m", "ballots.verify", bundle, "--skip-log"])
    figures["verify"] = {"seconds": took, "peak_mb": peak, "summary": out.splitlines()[:1]}
    out, took, _ = run_measured([PY, "-m", "bench.limits", "hash-parse", bundle])
    figures["verify_limit"] = json.loads(out) | {"process_seconds": took}

    print("proofs, read ...", flush=True)
    figures["proofs"] = step("proofs", past["proposal"], str(args.proofs))
    figures["proofs"].pop("receipts", None)
    figures["read"] = read_workload(past["proposal"], args)
    figures["hello_read"] = hello_workload(args, 64, args.read_seconds)

    c, pg, hello = figures["cast"], figures["pgbench"], figures["hello_cast"]
    framework = figures["framework_cast"]
    cpu_per_ballot = c["app_cpu_ms_per_ballot"] + c["db_cpu_ms_per_ballot"]
    s, sl = figures["seal"], figures["seal_limit"]
    v, vl = figures["verify"], figures["verify_limit"]
    rd, hr = figures["read"], figures["hello_read"]
    pf = figures["proofs"]
    n = s["ballots"]
    rows = [
        row("cast ballots/s", c["rate"], "/s", pg["tps"], "pgbench 1-row inserts",
            c["rate"] / pg["tps"], ">= 1500/s", c["rate"] >= 1500),
        row("cast p99", c["p99_ms"], "ms", None, "", None, "<= 100 ms", c["p99_ms"] <= 100,
            p50_ms=c["p50_ms"]),
        row("cast (HTTP ceiling)", c["rate"], "/s", hello["rate"], "empty app, same stack",
            c["rate"] / hello["rate"], "-", None),
        row("cast (Flask ceiling)", c["rate"], "/s", framework["rate"], "our app, empty view",
            c["rate"] / framework["rate"], "-", None),
        row("cast CPU per ballot", cpu_per_ballot, "ms", 2000 / 1500, "2 cores / 1,500 per s",
            cpu_per_ballot / (2000 / 1500), "-", None, app_ms=c["app_cpu_ms_per_ballot"],
            db_ms=c["db_cpu_ms_per_ballot"]),
        row(f"seal {n:,}", s["seconds"], "s", sl["seconds"], "COPY out + SHA-256",
            s["seconds"] / sl["seconds"], "<= 3x limit", s["seconds"] <= 3 * sl["seconds"]),
        row("seal peak memory", s["process_peak_mb"], "MB", None, "", None, "<= 300 MB",
            s["process_peak_mb"] <= 300),
        row(f"verify {n:,}", v["seconds"], "s", vl["seconds"], "SHA-256 + JSON parse",
            v["seconds"] / vl["seconds"], "<= 2x limit", v["seconds"] <= 2 * vl["seconds"]),
        row("verify peak memory", v["peak_mb"], "MB", None, "", None, "bounded (streaming)",
            None),
        row("read result page", rd["page"]["rate"], "/s", hr["rate"], "empty app, 64 clients",
            rd["page"]["rate"] / hr["rate"], ">= 1000/s", rd["page"]["rate"] >= 1000),
        row("read result.json", rd["json"]["rate"], "/s", hr["rate"], "empty app, 64 clients",
            rd["json"]["rate"] / hr["rate"], ">= 1000/s", rd["json"]["rate"] >= 1000),
        row("proof p99 (server)", pf["p99_ms"], "ms", None, "", None, "<= 5 ms",
            pf["p99_ms"] <= 5, p50_ms=pf["p50_ms"], warm_p99_ms=pf["warm_p99_ms"],
            misses_per_proof=pf["misses_per_proof"],
            proofs_with_misses=pf["proofs_with_misses"]),
        row("proof p99, same again", pf["second_pass"]["p99_ms"], "ms", None, "", None, "-",
            None, misses_per_proof=pf["second_pass"]["misses_per_proof"]),
        row("open (freeze roll)", past["seconds"], "s", None, "", None, "-", None),
    ]
    print()
    print_table(rows)
    report = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(),
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "options": {k: v for k, v in vars(args).items()},
        "rows": rows, "figures": figures,
        "total_seconds": time.perf_counter() - started,
    }
    (ROOT / "bench" / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote bench/results.json ({report['total_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
