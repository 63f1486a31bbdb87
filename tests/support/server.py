"""A real `numplane serve` on a free port, as a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    def __init__(
        self, store_url: str, *, extra_env: dict[str, str] | None = None, args: tuple[str, ...] = ()
    ) -> None:
        self.args = args
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "NUMPLANE_STORE": store_url, **(extra_env or {})}
        self.process: subprocess.Popen[str] | None = None
        self.first_line = ""

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "numplane.cli", "serve", "--port", str(self.port), "--init", *self.args],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert self.process.stdout is not None
        self.first_line = self.process.stdout.readline().strip()
        # Keep reading the access log, or a full pipe would block the server mid-request.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        # Generous: several servers starting at once on a busy 2-core machine take tens of seconds each.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("numplane serve did not come up")

    @property
    def admin_key(self) -> str:
        return self.first_line.rsplit(" ", 1)[-1]

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
