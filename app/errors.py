"""The errors the product reports to people, each with a message that says what to do."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class CommissioningError(Exception):
    """An expected failure, reported without a traceback."""

    exit_code = 1


class DatabaseRefused(CommissioningError):
    """The database cannot be opened safely; it has been left exactly as it was."""

    exit_code = 1


class NotADatabase(DatabaseRefused):
    pass


class CorruptDatabase(DatabaseRefused):
    """The integrity check failed; `backup` is the latest good copy, if there is one."""

    database: Path | None = None
    backup: Path | None = None


class NewerDatabase(DatabaseRefused):
    pass


class ServerBehind(DatabaseRefused):
    """The team's server is at an older schema; an administrator upgrades it on purpose."""


class ServerUnavailable(DatabaseRefused):
    """The database server could not be reached."""


class DatabaseInUse(DatabaseRefused):
    """Another copy of the application has the database file open."""


@dataclass(frozen=True)
class Problem:
    """One problem with an input, located as a spreadsheet user would find it."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        row = "" if self.row is None else str(self.row)
        column = self.column or ""
        return f"{self.file}:{row}:{column}: {self.message}"


class InputRejected(CommissioningError):
    """Input was refused (bad file, missing file, invalid value); nothing was applied."""

    exit_code = 3

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("", None, None, problems)]
        self.problems = problems
        super().__init__("\n".join(_describe(p) for p in problems))


class NotFound(InputRejected):
    """A record named on the command line or in a file does not exist."""


def _describe(problem: Problem) -> str:
    if problem.file:
        return str(problem)
    if problem.column:
        return f"{problem.column}: {problem.message}"
    return problem.message


class UsageError(CommissioningError):
    """The command cannot go on without something only the person can give (exit 2)."""

    exit_code = 2


class WrongPassphrase(CommissioningError):
    """The passphrase does not open the encrypted database; it was left as it was."""

    exit_code = 3
