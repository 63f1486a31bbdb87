"""How the command line reports a failure: one line on stderr saying what is wrong and what to do.

A traceback helps whoever debugs numplane, not whoever runs it with a wrong store URL, so it is shown only
with `--debug` (or NUMPLANE_DEBUG=1). Store URLs in these lines never show a password.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError

# Typer 0.29 (pinned in pyproject) carries its own copy of click: these are the exceptions it raises.
from typer._click import exceptions as click

from numplane.domain.errors import DomainError
from numplane.store.base import StoreUnavailable, UnsupportedStoreUrl

T = TypeVar("T")


_debug = False


def show_tracebacks(enabled: bool) -> None:
    global _debug
    _debug = enabled


def debugging() -> bool:
    return _debug or os.environ.get("NUMPLANE_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}


def one_line(error: BaseException) -> str | None:
    """The line for a failure an operator can fix; None for a bug (which keeps its traceback)."""
    if isinstance(error, DomainError):
        return f"error: {error.code.value}: {error.message}"
    if isinstance(error, UnsupportedStoreUrl):
        return f"error: {error}; set --store or NUMPLANE_STORE."
    if isinstance(error, StoreUnavailable):
        return f"error: the store is unavailable: {error}; check that it is up and --store / NUMPLANE_STORE names it."
    if isinstance(error, ValidationError):
        problems = "; ".join(
            f"NUMPLANE_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in error.errors()
        )
        return f"error: bad setting: {problems}."
    if isinstance(error, OSError):
        return f"error: {error.strerror or error} ({error.filename})." if error.filename else f"error: {error}."
    return None


def reported(work: Callable[[], T]) -> T:
    """Run `work`; a failure an operator can fix becomes its line on stderr and exit code 1."""
    try:
        return work()
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as error:
        line = one_line(error)
        if line is None:  # a bug: its traceback is the report
            raise
        if debugging():
            traceback.print_exc()
        typer.echo(line, err=True)
        raise typer.Exit(1) from None


def run(command: Callable[..., Any], name: str) -> NoReturn:
    """Run a Typer app as the `numplane` program: a usage mistake or an operator-fixable failure is one
    line on stderr (Typer draws a box of several lines around the first and a page of traceback for the
    second); a bug keeps its traceback."""
    try:
        result = command(standalone_mode=False, prog_name=name)
    except click.NoArgsIsHelpError as error:
        typer.echo(error.ctx.get_help() if error.ctx else error.format_message())
        sys.exit(error.exit_code)
    except click.UsageError as error:
        hint = f"; see `{error.ctx.command_path} --help`" if error.ctx else ""
        typer.echo(f"error: {error.format_message().rstrip('.')}{hint}.", err=True)
        sys.exit(error.exit_code)
    except click.ClickException as error:
        typer.echo(f"error: {error.format_message()}", err=True)
        sys.exit(error.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except Exception as error:
        line = one_line(error)
        if line is None:
            raise
        if debugging():
            traceback.print_exc()
        typer.echo(line, err=True)
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)
