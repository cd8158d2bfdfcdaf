"""A small HTTP/1.1 keep-alive load generator: loopback only, bounded in time and count.

    python -m bench.loadgen --port 8101 --mode cast --proposal 2026-002 --clients 16 \
        --seconds 20 --owners 1-5000
    python -m bench.loadgen --port 8101 --mode get --path /results/2026-001/result.json

Runs as its own process (asyncio, raw streams: cheap per request, so it leaves the CPU to the
server it measures) and prints one JSON object: requests, errors, rate, p50 and p99 latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

HOST = "127.0.0.1"  # never anything else: this tool only measures our own machine
MAX_SECONDS = 600
MAX_REQUESTS = 5_000_000


def api_token(owner_id: int) -> str:
    return f"ot_bench_{owner_id:08d}"  # as bench.dataset.api_token


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


def _request(args: argparse.Namespace, owner: int) -> bytes:
    if args.mode == "cast":
        body = json.dumps({"selection": [args.choice]}).encode()
        return (
            f"POST /api/proposals/{args.proposal}/ballots HTTP/1.1\r\nHost: {HOST}\r\n"
            f"Authorization: Bearer {api_token(owner)}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
    if args.mode == "post":
        # Pre-built bodies, one per owner (encrypted ballots: the device's work, not measured).
        body = args.body_of[owner]
        return (
            f"POST {args.path} HTTP/1.1\r\nHost: {HOST}\r\n"
            f"Authorization: Bearer {api_token(owner)}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
    return f"GET {args.path} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()


async def _client(args: argparse.Namespace, port: int, owners: list[int],
                  stats: dict[str, Any], deadline: float) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    i = 0
    try:
        while time.perf_counter() < deadline and stats["sent"] < args.max_requests:
            if args.mode == "post" and i >= len(owners):
                break  # each pre-built body once: a second post would be a replay
            stats["sent"] += 1
            owner = owners[i % len(owners)] if owners else 0
            i += 1
            started = time.perf_counter()
            writer.write(_request(args, owner))
            try:
                status = await _read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                stats["errors"] += 1
                writer.close()
                reader, writer = await asyncio.open_connection(HOST, port)
                continue
            stats["latencies"].append(time.perf_counter() - started)
            stats["status"][status] = stats["status"].get(status, 0) + 1
            if status >= 400:
                stats["errors"] += 1
    finally:
        writer.close()


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    owners: list[int] = []
    if args.bodies:
        args.body_of = {}
        with open(args.bodies, "rb") as lines:
            for line in lines:
                owner, _, body = line.rstrip(b"\n").partition(b"\t")
                args.body_of[int(owner)] = body
        owners = sorted(args.body_of)
    elif args.owners:
        lo, hi = (int(x) for x in args.owners.split("-"))
        owners = list(range(lo, hi + 1))
    stats: dict[str, Any] = {"sent": 0, "errors": 0, "latencies": [], "status": {}}
    seconds = min(args.seconds, MAX_SECONDS)
    started = time.perf_counter()
    deadline = started + seconds
    # Each client casts for its own owners, so no two clients ever wait on one roll row.
    ports = [int(p) for p in str(args.port).split(",")]
    tasks = [
        _client(args, ports[c % len(ports)], owners[c :: args.clients], stats, deadline)
        for c in range(args.clients)
    ]
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    lat = sorted(stats["latencies"])
    done = len(lat)

    def pct(p: float) -> float:
        return 1000 * lat[min(done - 1, int(done * p))] if done else 0.0

    out = {
        "requests": done, "errors": stats["errors"], "seconds": elapsed,
        "rate": done / elapsed if elapsed else 0.0, "p50_ms": pct(0.5), "p99_ms": pct(0.99),
        "status": {str(k): v for k, v in stats["status"].items()},
    }
    if args.latencies:
        # For a caller that pools several runs' latencies into one p50/p99.
        out["latencies_ms"] = [round(1000 * x, 3) for x in lat]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", required=True, help="a port, or several: 8101,8102")
    parser.add_argument("--mode", choices=("cast", "get", "post"), default="get")
    parser.add_argument("--bodies", default="", help="post mode: file of owner<TAB>JSON body")
    parser.add_argument("--path", default="/")
    parser.add_argument("--proposal", default="")
    parser.add_argument("--choice", default="yes")
    parser.add_argument("--owners", default="", help="owner id range lo-hi (cast mode)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=MAX_REQUESTS)
    parser.add_argument("--latencies", default="", help="1: print every latency too")
    args = parser.parse_args()
    args.max_requests = min(args.max_requests, MAX_REQUESTS)
    print(json.dumps(asyncio.run(_run(args))))


if __name__ == "__main__":
    main()
