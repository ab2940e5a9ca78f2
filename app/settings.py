"""The user's settings: a small INI file, readable by the GUI and the command line alike."""

from __future__ import annotations

import configparser
import os
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path

from app.paths import locations


@dataclass
class Settings:
    """Every setting, declared once: `section.key` in the file is taken from the field's name."""

    user_name: str = ""
    user_organisation: str = ""
    data_folder: str = ""
    window_geometry: str = ""
    window_state: str = ""
    window_tab: str = ""
    meetings_year: str = "calendar"
    returns_due_days: str = "15"

    @staticmethod
    def _address(name: str) -> tuple[str, str]:
        section, _, key = name.partition("_")
        return section, key

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or locations().settings_file
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except configparser.Error:
            # An unreadable settings file must never stop the application starting.
            return cls()
        values = {}
        for field in fields(cls):
            section, key = cls._address(field.name)
            if parser.has_option(section, key):
                values[field.name] = parser.get(section, key)
        return cls(**values)

    def save(self, path: Path | None = None) -> None:
        path = path or locations().settings_file
        parser = configparser.ConfigParser(interpolation=None)
        for field in fields(self):
            section, key = self._address(field.name)
            if not parser.has_section(section):
                parser.add_section(section)
            parser.set(section, key, str(getattr(self, field.name)))
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside and rename, so a crash never leaves half a settings file.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".settings-", suffix=".ini")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            parser.write(stream)
        os.replace(temporary, path)

    def data_dir(self) -> Path:
        return Path(self.data_folder) if self.data_folder else locations().default_data_dir
