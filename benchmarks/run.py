"""`make bench`: every benchmark, one after another."""

from __future__ import annotations

from benchmarks import api


def main() -> None:
    api.main()


if __name__ == "__main__":
    main()
