"""A real CouchDB-compatible server for the tests: pouchdb-server 4.2.0 in memory on a free port.

Installed by `make test` (`npm ci --ignore-scripts` from the committed lockfile). Set
NUMPLANE_TEST_COUCH_URL to test against another server (for example a real CouchDB 3).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
BINARY = ROOT / "node_modules" / ".bin" / "pouchdb-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class CouchServer:
    """Start, stop and restart one pouchdb-server process on a fixed port.

    In memory by default (a restart loses the data); with `persistent=True` it keeps its databases on
    disk (LevelDB) in its private directory, so a restart brings them back, like a real CouchDB.
    """

    def __init__(self, *, admin: tuple[str, str] | None = None, persistent: bool = False) -> None:
        self.persistent = persistent
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._workdir = tempfile.mkdtemp(prefix="numplane-couch-")
        if admin is not None:
            # An admin must be configured before start; every request then needs Basic auth (an anonymous
            # PUT /db would crash pouchdb-server). It hashes the password into this file on start.
            name, password = admin
            (Path(self._workdir) / "config.json").write_text(json.dumps({"admins": {name: password}}))
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if not BINARY.exists():
            raise RuntimeError(f"{BINARY} is missing: run `make test` (it runs npm ci) first")
        # It writes log.txt and config.json into its cwd, hence the private working directory.
        self._process = subprocess.Popen(
            [str(BINARY), *(["--dir", "data"] if self.persistent else ["--in-memory"]), "--host", "127.0.0.1",
             "--port", str(self.port), "--no-stdout-logs"],
            cwd=self._workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self._process.poll() is not None:
                raise RuntimeError("pouchdb-server exited during start")
            time.sleep(0.1)
        raise RuntimeError("pouchdb-server did not answer within 30 s")

    def stop(self) -> None:
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
        self._process = None

    def pause(self) -> None:
        """SIGSTOP: the server holds its connections and answers nothing (a stalled database)."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL: the server dies mid-request, with no chance to finish anything (start() restarts it)."""
        if self._process is None:
            return
        self._signal(signal.SIGKILL)
        self._process.wait()
        self._process = None

    def _signal(self, which: signal.Signals) -> None:
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, which)

    def close(self) -> None:
        self.resume()  # a stopped process ignores SIGTERM until it runs again
        self.stop()
        shutil.rmtree(self._workdir, ignore_errors=True)

    def __enter__(self) -> CouchServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
