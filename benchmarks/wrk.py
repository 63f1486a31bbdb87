"""Run wrk (a C load generator) against a URL and read its results.

An httpx client in Python saturates a core before the server does on this 2-core machine, which
squeezes every ratio towards 1; wrk costs the client almost nothing, so the server's rates show.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Each wrk thread alternates through `bodies` (a list of JSON strings); per-thread state makes
# stateful cycles (activate, then release) possible with one connection per thread. `setup` runs in the
# main Lua state and `thread:set` writes a GLOBAL of the thread's own state: a `local` of the same name
# would shadow it, and every thread would then cycle the first list (all clients on one number).
_LUA = """
local bodies = {BODIES}
local counter = 0
local threads_set_up = 0
setup = function(thread)
  thread:set("thread_index", threads_set_up)
  threads_set_up = threads_set_up + 1
end
request = function()
  local list = bodies[(thread_index % #bodies) + 1]
  counter = counter + 1
  local body = list[((counter - 1) % #list) + 1]
  return wrk.format("{METHOD}", nil, {HEADERS}, body)
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    requests: int


def available() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal for our ASCII bodies


def run(
    url: str,
    *,
    headers: dict[str, str],
    bodies_per_thread: list[list[str]] | None = None,
    method: str = "POST",
    seconds: int = 5,
    threads: int = 2,
    connections: int = 2,
) -> WrkResult:
    bodies = bodies_per_thread or [[""]]
    lua_bodies = "{" + ",".join("{" + ",".join(_lua_string(b) for b in group) + "}" for group in bodies) + "}"
    lua_headers = "{" + ",".join(f"[{_lua_string(k)}]={_lua_string(v)}" for k, v in headers.items()) + "}"
    script = _LUA.replace("{BODIES}", lua_bodies).replace("{HEADERS}", lua_headers).replace("{METHOD}", method)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "script.lua"
        path.write_text(script)
        output = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(path), url],
            capture_output=True, text=True, check=True,
        ).stdout
    return _parse(output)


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _parse(output: str) -> WrkResult:
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    return WrkResult(rate, p50, p99, int(errors.group(1)) if errors else 0, requests)
