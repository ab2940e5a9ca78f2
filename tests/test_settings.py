"""Settings are kept between runs, readable without Qt, and choose the database in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli.context import DATABASE_FILE, choose_database, choose_user
from app.paths import locations
from app.settings import Settings


def test_settings_are_kept_between_runs(isolated_folders: Path) -> None:
    settings = Settings.load()
    assert settings.user_name == ""
    settings.user_name = "Asha Patel"
    settings.user_organisation = "Demo SCG"
    settings.data_folder = str(isolated_folders / "elsewhere")
    settings.save()
    assert locations().settings_file.exists()
    again = Settings.load()
    assert (again.user_name, again.user_organisation) == ("Asha Patel", "Demo SCG")
    assert again.data_dir() == isolated_folders / "elsewhere"
    assert "[user]" in locations().settings_file.read_text()


def test_a_damaged_settings_file_does_not_stop_the_start() -> None:
    path = locations().settings_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("this is [not an ini file\n= at all")
    assert Settings.load() == Settings()


def test_the_database_is_chosen_in_order(
    isolated_folders: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings()
    default = str(locations().default_data_dir / DATABASE_FILE)
    assert choose_database(None, settings) == default
    settings.data_folder = str(isolated_folders / "team")
    assert choose_database(None, settings) == str(isolated_folders / "team" / DATABASE_FILE)
    monkeypatch.setenv("COMMISSIONING_DB", "/env/db.sqlite")
    assert choose_database(None, settings) == "/env/db.sqlite"
    assert choose_database("/option/db.sqlite", settings) == "/option/db.sqlite"


def test_the_user_is_chosen_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(user_name="From Settings")
    assert choose_user(None, settings) == "From Settings"
    monkeypatch.setenv("COMMISSIONING_USER", "from-env")
    assert choose_user(None, settings) == "from-env"
    assert choose_user("from-option", settings) == "from-option"
