"""Usage lines and help panels in the usual command-line spelling.

Typer 0.29 writes a required argument as `{account_id}` in usage lines and gives every flag (even `--help`)
a `<bool>` type column; these classes restore `ACCOUNT_ID` and show no type for a flag.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import typer
from typer import _click
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption


def _untyped_flags(params: Iterable[Any]) -> None:
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag:
            param.metavar = ""  # the type column shows the metavar when one is set


class Command(TyperCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _untyped_flags(self.params)

    def collect_usage_pieces(self, ctx: _click.Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = param.display_name_raw.upper()
                pieces.append(name if param.required else f"[{name}]")
        return pieces

    def get_help_option(self, ctx: _click.Context) -> TyperOption | None:
        option = super().get_help_option(ctx)
        _untyped_flags([option])
        return option


class Group(TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _untyped_flags(self.params)

    def get_help_option(self, ctx: _click.Context) -> TyperOption | None:
        option = super().get_help_option(ctx)
        _untyped_flags([option])
        return option


def spell_plainly(app: typer.Typer) -> None:
    """Use these classes for every command and group of `app`, sub-apps included (set once, where the
    program is assembled, so the command modules stay plain Typer)."""
    app.info.cls = Group
    for command in app.registered_commands:
        command.cls = Command
    for group in app.registered_groups:
        group.cls = Group
        if isinstance(group.typer_instance, typer.Typer):
            spell_plainly(group.typer_instance)
