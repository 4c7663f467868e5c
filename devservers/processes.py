"""Start, stop, pause and probe local MongoDB-protocol and MinIO servers.

Used by the pytest session fixtures (free ports, temporary data) and by
``make services`` (fixed ports, data under ``var/``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from devservers.binaries import ServerBinary

MINIO_USER = "minioadmin"
MINIO_PASSWORD = "minioadmin"


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """Terminate ``process`` (resuming it first if paused) and wait; kill it
    if it has not exited after ``timeout`` seconds."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGCONT)
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


def s3_client(endpoint: str, pool_connections: int = 10) -> Any:
    """A path-style boto3 S3 client for a local MinIO started here."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=MINIO_USER,
        aws_secret_access_key=MINIO_PASSWORD,
        region_name="us-east-1",
        config=Config(
            s3={"addressing_style": "path"}, max_pool_connections=pool_connections
        ),
    )


class ServerStartError(RuntimeError):
    """A server did not become ready in time."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Return whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class LocalServer:
    """One server process with its data directory, port and log file.

    ``stop`` followed by ``start`` brings the same server back on the same port
    with the same data, which the fault tests rely on.
    """

    def __init__(
        self,
        binary: ServerBinary,
        data_dir: Path,
        port: int,
        console_port: int | None = None,
    ) -> None:
        self.binary = binary
        self.data_dir = data_dir
        self.port = port
        self.console_port = console_port
        self.log_path = data_dir.parent / f"{data_dir.name}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Connection URL: ``mongodb://`` for MongoDB, ``http://`` for MinIO."""
        if self.binary.flavour == "minio":
            return f"http://127.0.0.1:{self.port}"
        return f"mongodb://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """Process id while running."""
        return self._process.pid if self._process else None

    def start(self, timeout: float = 60.0) -> None:
        """Launch the process and wait until it answers."""
        if self._process is not None and self._process.poll() is None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                self._command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._environment(),
                start_new_session=True,
            )
        self._wait_ready(timeout)

    def stop(self, timeout: float = 15.0) -> None:
        """Terminate the process, killing it if it does not exit in time."""
        process, self._process = self._process, None
        if process is not None:
            stop_process(process, timeout)

    def kill(self) -> None:
        """End the process at once (SIGKILL), as a crash would."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def pause(self) -> None:
        """Freeze the process (SIGSTOP): connections hang instead of failing."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Continue a paused process."""
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def ready(self) -> bool:
        """Return whether the server answers its health probe."""
        if self.binary.flavour == "minio":
            health = f"{self.url}/minio/health/live"
            try:
                with urllib.request.urlopen(health, timeout=1) as response:
                    return bool(response.status == 200)
            except (urllib.error.URLError, OSError):
                return False
        return port_open(self.port)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                break
            if self.ready():
                return
            time.sleep(0.1)
        tail = self.log_path.read_text(errors="replace")[-2000:]
        self.stop()
        raise ServerStartError(
            f"{self.binary.flavour} at {self.url} did not start within "
            f"{timeout:.0f} s; log tail:\n{tail}"
        )

    def _command(self) -> list[str]:
        address = f"127.0.0.1:{self.port}"
        if self.binary.flavour == "minio":
            console = f"127.0.0.1:{self.console_port or 0}"
            return [
                str(self.binary.path),
                "server",
                str(self.data_dir),
                "--address",
                address,
                "--console-address",
                console,
                "--quiet",
            ]
        if self.binary.flavour == "mongod":
            return [
                str(self.binary.path),
                "--dbpath",
                str(self.data_dir),
                "--bind_ip",
                "127.0.0.1",
                "--port",
                str(self.port),
            ]
        state_dir = self.data_dir / "state"
        state_dir.mkdir(exist_ok=True)
        return [
            str(self.binary.path),
            "--handler=sqlite",
            f"--sqlite-url=file:{self.data_dir}/",
            f"--listen-addr={address}",
            f"--state-dir={state_dir}",
            "--debug-addr=-",
            "--telemetry=disable",
            "--log-level=warn",
        ]

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.binary.flavour == "minio":
            env.update(
                MINIO_ROOT_USER=MINIO_USER,
                MINIO_ROOT_PASSWORD=MINIO_PASSWORD,
                MINIO_BROWSER="off",
                MINIO_UPDATE="off",
            )
        return env
