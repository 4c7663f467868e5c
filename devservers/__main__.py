"""Command line for the local servers behind ``make services``.

python -m devservers build     # find or build both binaries
python -m devservers start     # MongoDB on :27017, MinIO on :9000, data in var/
python -m devservers stop
python -m devservers status
python -m devservers ensure    # start only what BUILDATOM_* names and is down
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import urllib.parse
from pathlib import Path

from devservers.binaries import ServerBinary, minio_server, mongo_server
from devservers.processes import LocalServer, port_open

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("BUILDATOM_VAR_DIR", ROOT / "var"))
MONGO_PORT = int(os.environ.get("BUILDATOM_LOCAL_MONGO_PORT", "27017"))
MINIO_PORT = int(os.environ.get("BUILDATOM_LOCAL_MINIO_PORT", "9000"))
MINIO_CONSOLE_PORT = MINIO_PORT + 1


def _servers() -> dict[str, tuple[int, int | None]]:
    return {"mongodb": (MONGO_PORT, None), "minio": (MINIO_PORT, MINIO_CONSOLE_PORT)}


def _binary(name: str) -> ServerBinary:
    return minio_server() if name == "minio" else mongo_server()


def build() -> int:
    for name in _servers():
        binary = _binary(name)
        print(f"{name}: {binary.flavour} at {binary.path}")
    return 0


def start() -> int:
    for name, (port, console) in _servers().items():
        if port_open(port):
            print(f"{name}: already answering on 127.0.0.1:{port}")
            continue
        _start_local(name, port, console)
    return 0


def _start_local(name: str, port: int, console_port: int | None) -> None:
    """Start a detached server whose pid ``stop`` finds under var/run."""
    (VAR / "run").mkdir(parents=True, exist_ok=True)
    server = LocalServer(_binary(name), VAR / name, port, console_port)
    server.start()
    (VAR / "run" / f"{name}.pid").write_text(f"{server.pid}\n")
    print(f"{name}: started {server.binary.flavour} on {server.url}")


def stop() -> int:
    for name in _servers():
        pid_file = VAR / "run" / f"{name}.pid"
        if not pid_file.exists():
            print(f"{name}: not started by make services")
            continue
        pid = int(pid_file.read_text())
        try:
            os.kill(pid, signal.SIGTERM)
            _wait_gone(pid)
            print(f"{name}: stopped (pid {pid})")
        except ProcessLookupError:
            print(f"{name}: was not running")
        pid_file.unlink()
    return 0


def status() -> int:
    missing = 0
    for name, (port, _) in _servers().items():
        up = port_open(port)
        missing += not up
        print(f"{name}: {'up' if up else 'down'} on 127.0.0.1:{port}")
    return 1 if missing else 0


def ensure() -> int:
    """Start the local server for each configured store that is unreachable."""
    configured = {
        "mongodb": os.environ.get("BUILDATOM_MONGODB_URI", "mongodb://127.0.0.1:27017"),
        "minio": os.environ.get("BUILDATOM_S3_ENDPOINT_URL", "http://127.0.0.1:9000"),
    }
    for name, url in configured.items():
        parsed = urllib.parse.urlsplit(url)
        host = parsed.hostname or "127.0.0.1"
        port = parsed.port or (27017 if name == "mongodb" else 9000)
        if port_open(port, host):
            print(f"{name}: reachable at {host}:{port}")
            continue
        if host not in {"127.0.0.1", "localhost"}:
            print(f"{name}: {url} is unreachable and not local", file=sys.stderr)
            return 1
        _start_local(name, port, port + 1 if name == "minio" else None)
    return 0


def _wait_gone(pid: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devservers")
    actions = {
        "build": build,
        "start": start,
        "stop": stop,
        "status": status,
        "ensure": ensure,
    }
    parser.add_argument("command", choices=sorted(actions))
    command = parser.parse_args(argv).command
    return actions[command]()


if __name__ == "__main__":
    sys.exit(main())
