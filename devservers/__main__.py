"""Command line for the local servers behind ``make services``.

    python -m devservers build     # find or build both binaries
    python -m devservers start     # MongoDB on :27017, MinIO on :9000, data in var/
    python -m devservers stop
    python -m devservers status
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
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
    (VAR / "run").mkdir(parents=True, exist_ok=True)
    for name, (port, console) in _servers().items():
        if port_open(port):
            print(f"{name}: already answering on 127.0.0.1:{port}")
            continue
        server = LocalServer(_binary(name), VAR / name, port, console)
        server.start()
        (VAR / "run" / f"{name}.pid").write_text(f"{server.pid}\n")
        print(f"{name}: started {server.binary.flavour} on {server.url}")
    return 0


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
    parser.add_argument("command", choices=["build", "start", "stop", "status"])
    command = parser.parse_args(argv).command
    actions = {"build": build, "start": start, "stop": stop, "status": status}
    return actions[command]()


if __name__ == "__main__":
    sys.exit(main())
