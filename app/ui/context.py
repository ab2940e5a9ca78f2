"""What every window and tab is given instead of reaching for globals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from app.settings import Settings
from app.store.database import Database


@dataclass
class UiContext:
    database: Database
    settings: Settings
    log_file: Path
    as_of: date | None = None
    is_demo: bool = False
    areas: list[str] = field(default_factory=list)

    def today(self) -> date:
        """The date the product treats as today (`--as-of`, else the clock's)."""
        return self.as_of or date.today()
