"""Portable mode: a frozen program with portable.txt beside it keeps everything beside it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.cli import main
from app.cli.context import DATABASE_FILE, CommandContext, choose_database
from app.logs import LOG_FILE, configure_logging
from app.paths import PORTABLE_MARKER, locations, portable_root, resources_dir
from app.settings import Settings


@pytest.fixture
def program_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A frozen program, as PyInstaller makes it, in a folder of its own (a USB stick, say)."""
    folder = tmp_path / "usb" / "commissioning"
    folder.mkdir(parents=True)
    executable = folder / ("commissioning.exe" if sys.platform == "win32" else "commissioning")
    executable.write_bytes(b"")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(executable))
    return folder


def test_with_the_marker_settings_data_and_logs_live_beside_the_program(
    program_folder: Path, isolated_folders: Path
) -> None:
    (program_folder / PORTABLE_MARKER).write_text("")
    assert portable_root() == program_folder.resolve()

    # Even the per-user folders named by the environment give way to the marker.
    where = locations()
    assert where.settings_file == program_folder.resolve() / "settings" / "settings.ini"
    settings = Settings.load()
    assert settings.data_dir() == program_folder.resolve() / "data"
    assert choose_database(None, settings) == str(program_folder.resolve() / "data" / DATABASE_FILE)
    context = CommandContext(choose_database(None, settings), "tester", None, settings)  # type: ignore[arg-type]
    assert configure_logging(context.log_dir) == program_folder.resolve() / "data" / "logs" / (
        LOG_FILE
    )
    assert not (isolated_folders / "config").exists()


def test_a_portable_program_creates_its_database_and_settings_beside_itself(
    program_folder: Path, isolated_folders: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (program_folder / PORTABLE_MARKER).write_text("")
    assert main(["init"]) == 0
    assert (program_folder / "data" / DATABASE_FILE).is_file()
    settings = Settings.load()
    settings.user_name = "Asha Patel"
    settings.save()
    assert (program_folder / "settings" / "settings.ini").is_file()
    assert Settings.load().user_name == "Asha Patel"
    assert not (isolated_folders / "data").exists()
    assert not (isolated_folders / "config").exists()


def test_without_the_marker_a_frozen_program_uses_the_per_user_folders(
    program_folder: Path, isolated_folders: Path
) -> None:
    assert portable_root() is None
    assert locations().settings_file == isolated_folders / "config" / "settings.ini"
    assert Settings.load().data_dir() == isolated_folders / "data"


def test_a_marker_beside_a_python_that_is_not_frozen_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_folders: Path
) -> None:
    folder = tmp_path / "python"
    folder.mkdir()
    (folder / PORTABLE_MARKER).write_text("")
    monkeypatch.setattr(sys, "executable", str(folder / "python3"))
    monkeypatch.delattr(sys, "frozen", raising=False)
    assert portable_root() is None
    assert Settings.load().data_dir() == isolated_folders / "data"


def test_a_frozen_program_reads_its_resources_from_the_bundle(
    program_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = program_folder / "_internal"
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert resources_dir() == bundle / "resources"
