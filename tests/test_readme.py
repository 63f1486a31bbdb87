"""The README's error tables are the code's closed error set, word for word, and the request codes."""

from __future__ import annotations

import re
from pathlib import Path

from numplane.domain.errors import ERROR_HELP, ErrorCode
from numplane.schema.request_errors import REQUEST_ERROR_CODES

README = Path(__file__).resolve().parents[1] / "README.md"


REQUEST_TABLE = "Top-level errors about the request itself"


def errors_section() -> str:
    return README.read_text().split("## Errors", 1)[1].split("\n## ", 1)[0]


def test_readme_error_table_equals_the_error_set() -> None:
    section = errors_section().split(REQUEST_TABLE, 1)[0]
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| (.+?) \|$", section, flags=re.MULTILINE))
    assert set(rows) == {code.value for code in ErrorCode}
    assert rows == {code.value: ERROR_HELP[code] for code in ErrorCode}


def test_readme_request_error_table_lists_every_request_code() -> None:
    section = errors_section().split(REQUEST_TABLE, 1)[1]
    assert re.findall(r"^\| `([A-Z_]+)` \|", section, flags=re.MULTILINE) == list(REQUEST_ERROR_CODES)


def test_readme_shows_the_two_commands() -> None:
    text = README.read_text()
    assert "make serve" in text and "make test" in text
