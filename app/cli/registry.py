"""How each area adds its subcommands, every one accepting the global options."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

Handler = Callable[[argparse.Namespace, Any], int]


class CommandAdder:
    """Adds subcommands that share the global options (`--db`, `--user`, `--as-of`...).

    A command that changes data says which area with `writes=Area.X`.
    """

    def __init__(self, subparsers: Any, common: argparse.ArgumentParser) -> None:
        self._subparsers = subparsers
        self.common = common

    def __call__(
        self,
        name: str,
        handler: Handler,
        help_text: str,
        writes: str | None = None,
        hidden: bool = False,
    ) -> argparse.ArgumentParser:
        return self.sub(self._subparsers, name, handler, help_text, writes=writes, hidden=hidden)

    def sub(
        self,
        subparsers: Any,
        name: str,
        handler: Handler,
        help_text: str,
        writes: str | None = None,
        hidden: bool = False,
    ) -> argparse.ArgumentParser:
        """A subcommand under `subparsers` (top level, or an area's own actions).

        `writes` names the area (`app.services.access.Area`) a command changes: the command
        line refuses it up front to a user whose role may not change that area (the service
        checks again), and the test that runs every write command as a viewer finds it.
        """
        # A hidden command (a check for the installers) is given no help, so no list shows it.
        listed = {} if hidden else {"help": help_text}
        parser: argparse.ArgumentParser = subparsers.add_parser(
            name, parents=[self.common], description=help_text, **listed
        )
        parser.set_defaults(handler=handler, writes=writes)
        return parser
