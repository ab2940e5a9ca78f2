"""The command line: the one interface for scripts, batch jobs, tests and the GUI's start."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from importlib import import_module

from app import __version__
from app.cli.context import CommandContext, choose_database, choose_user
from app.cli.registry import CommandAdder
from app.errors import CommissioningError
from app.logs import configure_logging
from app.settings import Settings

log = logging.getLogger("app.cli")

Handler = Callable[[argparse.Namespace, CommandContext], int]

# Each area's module registers its subcommands; add its name here for a new area. They are
# imported when the parser is built, so that importing `app.cli.context` (as the GUI does)
# stays light.
AREAS = (
    "maintenance",
    "definitions",
    "contracts",
    "contract_data",
    "logs",
    "meetings",
    "users",
    "audit",
    "sync",
    "scg",
)


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date such as 2026-11-22") from error


def _global_options() -> argparse.ArgumentParser:
    """Options accepted before or after the subcommand (SUPPRESS keeps either from erasing the
    other)."""
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group("global options")
    group.add_argument(
        "--db", default=argparse.SUPPRESS, help="database: a file path or a SQLAlchemy URL"
    )
    group.add_argument(
        "--user", default=argparse.SUPPRESS, help="acting user (else COMMISSIONING_USER)"
    )
    group.add_argument(
        "--password-file",
        default=argparse.SUPPRESS,
        metavar="FILE",
        help="a file holding the acting user's password (for `users add`, the new user's); "
        "else COMMISSIONING_PASSWORD_FILE, else a prompt on a terminal",
    )
    group.add_argument(
        "--passphrase-file",
        default=argparse.SUPPRESS,
        metavar="FILE",
        help="a file holding the passphrase of an encrypted database "
        "(else COMMISSIONING_PASSPHRASE, else a prompt on a terminal)",
    )
    group.add_argument(
        "--as-of",
        type=_iso_date,
        default=argparse.SUPPRESS,
        metavar="DATE",
        help="the date treated as today (ISO, such as 2026-11-22)",
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    common = _global_options()
    parser = argparse.ArgumentParser(
        prog="commissioning",
        description="Commissioning of specialised services: with no command, starts the "
        "application.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"commissioning {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add = CommandAdder(sub, common)
    for name in AREAS:
        import_module(f"app.cli.{name}").register(add)
    return parser


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line read. Starting the application (global options and no command) is
    read by the global options alone: every area's parser would import its services, which
    the window does not need before it is up. Anything else goes to the full parser."""
    given = list(sys.argv[1:] if argv is None else argv)
    globals_only = argparse.ArgumentParser(
        prog="commissioning", parents=[_global_options()], add_help=False
    )
    known, rest = globals_only.parse_known_args(given)
    if not rest and not any(word.startswith("-h") or word == "--help" for word in given):
        return known
    return build_parser().parse_args(given)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    settings = Settings.load()
    context = CommandContext(
        database_target=choose_database(getattr(arguments, "db", None), settings),
        user=choose_user(getattr(arguments, "user", None), settings),
        as_of=getattr(arguments, "as_of", None) or date.today(),
        settings=settings,
        password_file=getattr(arguments, "password_file", None),
        passphrase_file=getattr(arguments, "passphrase_file", None),
        writes=getattr(arguments, "writes", None),
    )
    handler: Handler = getattr(arguments, "handler", import_module("app.cli.window").gui)
    try:
        return handler(arguments, context)
    except CommissioningError as error:
        print(str(error), file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:
        # The reader went away (`commissioning nds list | head`): not an error of ours.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except Exception:
        path = configure_logging(context.log_dir)
        log.exception("unexpected error in `%s`", " ".join(sys.argv[1:]))
        print(
            f"An unexpected error stopped the command. The details are in {path}.",
            file=sys.stderr,
        )
        return 1
