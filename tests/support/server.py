"""A real `numplane serve` on a free port, as a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    def __init__(
        self, store_url: str, *, extra_env: dict[str, str] | None = None, args: tuple[str, ...] = (),
        capture_stderr: bool = False, launcher: tuple[str, ...] = ("-m", "numplane.cli"),
    ) -> None:
        self.args = args
        self.launcher = launcher  # what runs `serve` (a benchmark may wrap it: benchmarks.loop_watch)
        self.capture_stderr = capture_stderr
        self.stderr_lines: list[str] = []  # what the server logged, when capture_stderr
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "NUMPLANE_STORE": store_url, **(extra_env or {})}
        self.process: subprocess.Popen[str] | None = None
        self.first_line = ""

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, *self.launcher, "serve", "--port", str(self.port), "--init", *self.args],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE if self.capture_stderr else subprocess.DEVNULL,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert self.process.stdout is not None
        self.first_line = self.process.stdout.readline().strip()
        # Keep reading the access log, or a full pipe would block the server mid-request.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        if self.process.stderr is not None:
            threading.Thread(target=self._keep_stderr, args=(self.process.stderr,), daemon=True).start()
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

    def _keep_stderr(self, stream: IO[str]) -> None:
        for line in stream:
            self.stderr_lines.append(line.rstrip("\n"))

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
