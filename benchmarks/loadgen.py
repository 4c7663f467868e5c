"""A small HTTP/1.1 load generator, run as its own process on loopback.

    python -m benchmarks.loadgen --clients 50 --seconds 30 URL [URL ...]

Each client keeps one connection alive and requests the URLs in turn until the
time is up; the run stops by itself. Prints one JSON object: requests,
throughput, error count and latency percentiles (ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import numpy as np

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Tally:
    """Latencies of successful requests and a count of failures."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


async def client(
    host: str, port: int, paths: list[str], deadline: float, tally: Tally, offset: int
) -> None:
    """Request ``paths`` round-robin on one kept-alive connection.

    A connection the server closed while idle (keep-alive expiry, a worker
    recycled by ``max_requests``) is reopened and the request sent again, as
    HTTP clients do; a second failure in a row counts as an error.
    """
    turn = offset
    connection = await asyncio.open_connection(host, port)
    while time.monotonic() < deadline:
        path = paths[turn % len(paths)]
        turn += 1
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                status = await exchange(connection, host, path)
                break
            except (ConnectionError, asyncio.IncompleteReadError):
                connection[1].close()
                status = 0 if attempt == 2 else -1
                connection = await reconnect(host, port, deadline)
        elapsed = time.perf_counter() - started
        tally.statuses[status] = tally.statuses.get(status, 0) + 1
        if status == 200:
            tally.latencies.append(elapsed)
        else:
            tally.errors += 1
    connection[1].close()


async def reconnect(
    host: str, port: int, deadline: float
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open a new connection, waiting out a server that is restarting."""
    while True:
        try:
            return await asyncio.open_connection(host, port)
        except ConnectionError:
            if time.monotonic() > deadline + 5:
                raise
            await asyncio.sleep(0.05)


async def exchange(
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter], host: str, path: str
) -> int:
    """Send one GET and read its response; return the status code."""
    reader, writer = connection
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    await writer.drain()
    return await read_response(reader)


async def read_response(reader: asyncio.StreamReader) -> int:
    """Read one response; return its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in lines[1:] if line)
    }
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def run(urls: list[str], clients: int, seconds: float) -> dict[str, Any]:
    """Drive ``clients`` connections for ``seconds``; summarise the results."""
    parsed = [urllib.parse.urlsplit(url) for url in urls]
    host = parsed[0].hostname or "127.0.0.1"
    if host not in LOOPBACK:
        raise SystemExit(f"refusing to load {host}: loopback only")
    port = parsed[0].port or 80
    paths = [p.path + (f"?{p.query}" if p.query else "") for p in parsed]
    tally = Tally()
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(
        *(client(host, port, paths, deadline, tally, i) for i in range(clients))
    )
    wall = time.monotonic() - started
    latencies = np.array(tally.latencies) * 1000
    total = len(tally.latencies) + tally.errors
    p50, p95, p99 = (
        np.percentile(latencies, [50, 95, 99]) if latencies.size else (0, 0, 0)
    )
    return {
        "requests": total,
        "seconds": wall,
        "throughput": total / wall,
        "errors": tally.errors,
        "error_rate": tally.errors / total if total else 1.0,
        "p50_ms": float(p50),
        "p95_ms": float(p95),
        "p99_ms": float(p99),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.loadgen")
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    summary = asyncio.run(run(args.urls, args.clients, min(args.seconds, 120.0)))
    json.dump(summary, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
