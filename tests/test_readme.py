"""The README's error table is the code's closed error set, word for word."""

from __future__ import annotations

import re
from pathlib import Path

from numplane.domain.errors import ERROR_HELP, ErrorCode

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_error_table_equals_the_error_set() -> None:
    section = README.read_text().split("## Errors", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| (.+?) \|$", section, flags=re.MULTILINE))
    assert set(rows) == {code.value for code in ErrorCode}
    assert rows == {code.value: ERROR_HELP[code] for code in ErrorCode}


def test_readme_shows_the_two_commands() -> None:
    text = README.read_text()
    assert "make serve" in text and "make test" in text
