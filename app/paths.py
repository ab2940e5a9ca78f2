"""Where the application keeps its settings, data, logs and bundled resources."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from app import APP_NAME

PORTABLE_MARKER = "portable.txt"


def resources_dir() -> Path:
    """The bundled `resources/` folder, in a source tree or a frozen bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def executable_dir() -> Path:
    return Path(sys.executable).resolve().parent


def portable_root() -> Path | None:
    """The folder beside a frozen executable that holds a portable marker, if any."""
    if not getattr(sys, "frozen", False):
        return None
    folder = executable_dir()
    return folder if (folder / PORTABLE_MARKER).exists() else None


@dataclass(frozen=True)
class Locations:
    """The per-user folders; each can be overridden by an environment variable."""

    config_dir: Path
    default_data_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.ini"


def locations() -> Locations:
    portable = portable_root()
    if portable is not None:
        return Locations(config_dir=portable / "settings", default_data_dir=portable / "data")
    config = os.environ.get("COMMISSIONING_CONFIG_DIR")
    data = os.environ.get("COMMISSIONING_DATA_DIR")
    return Locations(
        config_dir=Path(config) if config else Path(platformdirs.user_config_dir(APP_NAME, False)),
        default_data_dir=Path(data) if data else Path(platformdirs.user_data_dir(APP_NAME, False)),
    )
