"""The installers' parts that run without building: the spec's choices and the icon files."""

from __future__ import annotations

import re
import shutil
import struct
import sys
import tomllib
from pathlib import Path

import pytest

from app import __version__

ROOT = Path(__file__).resolve().parent.parent
INSTALLERS = ROOT / "installers"
sys.path.insert(0, str(INSTALLERS))

import make_icons  # noqa: E402
import spec_support  # noqa: E402


def test_the_spec_takes_name_and_version_from_pyproject(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "commissioning"\nversion = "9.8.7"\n')
    assert spec_support.project_metadata(pyproject) == ("commissioning", "9.8.7")

    spec = (INSTALLERS / "commissioning.spec").read_text()
    assert 'project_metadata(ROOT / "pyproject.toml")' in spec
    assert not re.search(r"\b\d+\.\d+\.\d+\b", spec), "the version lives only in pyproject.toml"
    with (ROOT / "pyproject.toml").open("rb") as stream:
        declared = tomllib.load(stream)["project"]["version"]
    # The installed metadata, which the spec copies into the bundle, agrees.
    assert __version__ == declared


def test_the_nsis_script_takes_its_version_from_the_build() -> None:
    script = (INSTALLERS / "windows" / "commissioning.nsi").read_text()
    assert "RequestExecutionLevel user" in script
    assert not re.search(r"\b\d+\.\d+\.\d+\b", script)
    assert "${VERSION}" in script


@pytest.mark.parametrize(
    "path",
    [
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/plugins/platforms/qwindows.dll",
        "PySide6/Qt/plugins/platforms/libqcocoa.dylib",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "PySide6/plugins/styles/qmodernwindowsstyle.dll",
        "PySide6/Qt/lib/libQt6Core.so.6",
        "resources/reference/services_2002.csv",
        "app/store/migrations/env.py",
        "reportlab/fonts/Vera.ttf",
        "reportlab/fonts/VeraBI.ttf",
        "pyarrow/lib.cpython-311-x86_64-linux-gnu.so",
        "pyarrow/_csv.cpython-311-x86_64-linux-gnu.so",
        "pyarrow/libarrow.so.2600",
        "docx/templates/default.docx",
    ],
)
def test_what_the_application_needs_is_kept(path: str) -> None:
    assert spec_support.keep_entry(path)


@pytest.mark.parametrize(
    "path",
    [
        "PySide6/Qt/translations/qtbase_de.qm",
        "PySide6\\translations\\qt_fr.qm",
        "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/plugins/imageformats/libqjpeg.so",
        "PySide6/Qt/plugins/tls/libqopensslbackend.so",
        "PySide6/Qt/plugins/sqldrivers/libqsqlite.so",
        "PySide6/Qt/plugins/networkinformation/libqnetworkmanager.so",
        "PySide6/Qt/plugins/xcbglintegrations/libqxcb-glx-integration.so",
        "PySide6/Qt/qml/QtQuick/Controls/qmldir",
        "PySide6/opengl32sw.dll",
        "pyarrow/include/arrow/api.h",
        "pyarrow/_csv.pyx",
        "pyarrow/lib.pxd",
        "pyarrow/tests/data/orc/TestOrcFile.test1.orc",
        "numpy/_core/include/numpy/ndarrayobject.h",
    ],
)
def test_what_the_application_does_not_use_is_left_out(path: str) -> None:
    assert not spec_support.keep_entry(path)


def test_libraries_only_a_left_out_plugin_needed_go_too() -> None:
    binaries = [
        ("PySide6/QtGui.abi3.so", "/site/PySide6/QtGui.abi3.so", "EXTENSION"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/site/libqxcb.so", "BINARY"),
        ("PySide6/Qt/lib/libQt6Gui.so.6", "/site/libQt6Gui.so.6", "BINARY"),
        ("libxcb-cursor.so.0", "/usr/lib/libxcb-cursor.so.0", "BINARY"),
        ("libpango-1.0.so.0", "/usr/lib/libpango-1.0.so.0", "BINARY"),  # was for GTK's theme
        ("libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Gui.so.6", "SYMLINK"),
        ("PySide6/Qt/lib/libQt6Network.so.6", "/site/libQt6Network.so.6", "BINARY"),
        ("libQt6Network.so.6", "PySide6/Qt/lib/libQt6Network.so.6", "SYMLINK"),
        ("libpython3.11.so.1.0", "/usr/lib/libpython3.11.so.1.0", "BINARY"),
    ]
    needs = {
        "/site/PySide6/QtGui.abi3.so": ["libQt6Gui.so.6"],
        "/site/libqxcb.so": ["libQt6Gui.so.6", "/usr/lib/libxcb-cursor.so.0"],
    }
    kept = spec_support.without_unreachable(binaries, lambda source: needs.get(source, []))
    assert [entry[0] for entry in kept] == [
        "PySide6/QtGui.abi3.so",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/lib/libQt6Gui.so.6",
        "libxcb-cursor.so.0",
        "libQt6Gui.so.6",
        "libpython3.11.so.1.0",
    ]


def test_pdfium_which_pypdfium2_loads_with_ctypes_is_kept() -> None:
    """No binary names PDFium as needed (pypdfium2 opens it with ctypes), yet it stays."""
    binaries = [
        ("pypdfium2_raw/libpdfium.so", "/site/pypdfium2_raw/libpdfium.so", "BINARY"),
        ("pypdfium2_raw/pdfium.dll", "C:/site/pypdfium2_raw/pdfium.dll", "BINARY"),
        ("libunused.so.1", "/usr/lib/libunused.so.1", "BINARY"),
    ]
    kept = spec_support.without_unreachable(binaries, lambda source: [])
    assert [entry[0] for entry in kept] == [
        "pypdfium2_raw/libpdfium.so",
        "pypdfium2_raw/pdfium.dll",
    ]


def test_pypdf_is_bundled_now_that_meeting_packs_merge_papers() -> None:
    assert "pypdf" not in spec_support.EXCLUDED_MODULES
    assert not any(name.startswith("pypdfium2") for name in spec_support.EXCLUDED_MODULES)


@pytest.mark.parametrize(
    ("path", "left_to_host"),
    [
        ("libX11.so.6", True),
        ("libfontconfig.so.1", True),
        ("libdbus-1.so.3", True),
        ("libxcb-cursor.so.0", False),  # not on every desktop: bundled
        ("libstdc++.so.6", False),
        ("PySide6/Qt/lib/libQt6Gui.so.6", False),
        ("some.libs/libX11.so.6", False),  # a wheel's own copy stays with the wheel
    ],
)
def test_the_desktops_own_libraries_are_left_to_it(path: str, left_to_host: bool) -> None:
    assert spec_support.from_host(path) is left_to_host


def test_an_extension_module_is_kept_whatever_its_type_code() -> None:
    """pyarrow's hook gathers pyarrow.lib with the libraries, typed BINARY: it and what it
    needs must stay (the frozen program once failed with 'No module named pyarrow.lib')."""
    binaries = [
        ("pyarrow/lib.cpython-311-x86_64-linux-gnu.so", "/site/pyarrow/lib.so", "BINARY"),
        ("pyarrow/libarrow_python.so.2600", "/site/libarrow_python.so.2600", "BINARY"),
        ("pyarrow/libarrow_flight.so.2600", "/site/libarrow_flight.so.2600", "BINARY"),
    ]
    needs = {"/site/pyarrow/lib.so": ["libarrow_python.so.2600"]}
    kept = spec_support.without_unreachable(binaries, lambda source: needs.get(source, []))
    assert [entry[0] for entry in kept] == [
        "pyarrow/lib.cpython-311-x86_64-linux-gnu.so",
        "pyarrow/libarrow_python.so.2600",
    ]


@pytest.mark.parametrize(
    "name",
    [
        "libarrow_acero.so.2600",
        "libarrow_dataset.so.2600",
        "libparquet.so.2600",
        "libarrow_substrait.so.2600",
    ],
)
def test_unused_arrow_libraries_get_empty_stand_ins(name: str) -> None:
    source = spec_support.stub_source(name)
    assert source is not None and "{" not in source


@pytest.mark.parametrize(
    "name", ["libarrow.so.2600", "libarrow_compute.so.2600", "libicuuc.so.73", "libQt6Core.so.6"]
)
def test_libraries_in_use_keep_their_content(name: str) -> None:
    assert spec_support.stub_source(name) is None


def test_the_icu_data_stand_in_carries_the_symbol_of_its_version() -> None:
    source = spec_support.stub_source("libicudata.so.74")
    assert source is not None and "icudt74_dat" in source


@pytest.mark.skipif(
    not (shutil.which("cc") and shutil.which("nm")), reason="needs a C compiler and nm"
)
def test_a_stand_in_builds_with_its_name_and_symbol(tmp_path: Path) -> None:
    import subprocess

    built = spec_support.build_stub("libicudata.so.73", tmp_path)
    assert spec_support.dynamic_symbols(str(built), defined=True) == {"icudt73_dat"}
    dynamic = subprocess.run(
        ["readelf", "-d", str(built)], capture_output=True, text=True, check=True
    ).stdout
    assert "Library soname: [libicudata.so.73]" in dynamic


def test_a_symbol_only_a_replaced_library_gave_is_reported() -> None:
    needed = {
        "pyarrow/lib.so": {"arrow_compute_fn", "PyLong_FromLong"},
        "pyarrow/_parquet.so": {"parquet_reader_open"},
    }
    defined_by_kept = {"arrow_compute_fn", "PyLong_FromLong"}
    defined_by_replaced = {"parquet_reader_open", "arrow_compute_fn"}
    lost = spec_support.symbols_only_stubs_gave(needed, defined_by_kept, defined_by_replaced)
    assert lost == {"pyarrow/_parquet.so": {"parquet_reader_open"}}


def test_a_library_held_twice_is_kept_once_through_a_link() -> None:
    binaries = [
        ("libcrypto.so.3", "/usr/lib/libcrypto.so.3", "BINARY"),
        ("psycopg_binary.libs/libcrypto-3a0647ea.so.3", "/site/libcrypto-3a0647ea.so.3", "BINARY"),
        ("pillow.libs/libXau-154567c4.so.6.0.0", "/site/libXau-154567c4.so.6.0.0", "BINARY"),
        ("libXau.so.6", "/usr/lib/libXau.so.6", "BINARY"),
        ("libssl.so.3", "/usr/lib/libssl.so.3", "BINARY"),  # no other copy: stays
    ]
    kept, replaced = spec_support.share_copies(binaries)
    assert kept == [
        ("libcrypto.so.3", "psycopg_binary.libs/libcrypto-3a0647ea.so.3", "SYMLINK"),
        binaries[1],
        ("pillow.libs/libXau-154567c4.so.6.0.0", "../libXau.so.6", "SYMLINK"),
        binaries[3],
        binaries[4],
    ]
    assert replaced == [binaries[0], binaries[2]]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_icon_script_makes_every_size(qapp: object, tmp_path: Path) -> None:
    written = make_icons.make_icons(tmp_path)

    for size in (16, 24, 32, 48, 64, 128, 256, 512, 1024):
        png = tmp_path / "png" / f"commissioning-{size}.png"
        assert png in written
        assert _png_size(png.read_bytes()) == (size, size)

    ico = (tmp_path / "commissioning.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind, count) == (0, 1, 7)
    sizes = []
    for number in range(count):
        width, height, *_, length, offset = struct.unpack(
            "<BBBBHHII", ico[6 + 16 * number : 22 + 16 * number]
        )
        image = ico[offset : offset + length]
        assert _png_size(image) == (width or 256, height or 256)
        sizes.append(width or 256)
    assert sizes == [16, 24, 32, 48, 64, 128, 256]

    icns = (tmp_path / "commissioning.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    elements = {}
    position = 8
    while position < len(icns):
        kind_code, length = (
            icns[position : position + 4],
            struct.unpack(">I", icns[position + 4 : position + 8])[0],
        )
        elements[kind_code] = _png_size(icns[position + 8 : position + length])[0]
        position += length
    assert elements == {kind_code: size for kind_code, size in make_icons.ICNS_TYPES}


def test_the_icon_is_drawn_not_blank(qapp: object, tmp_path: Path) -> None:
    from PySide6.QtGui import QColor, QImage

    make_icons.make_icons(tmp_path)
    image = QImage(str(tmp_path / "png" / "commissioning-256.png"))
    assert image.pixelColor(0, 0).alpha() == 0  # transparent corner (rounded square)
    assert image.pixelColor(128, 230) == QColor("#005EB8")  # NHS blue


def test_the_start_up_measurement_quits_once_the_window_is_painted(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run as users start it, in a process of its own (an application that has quit cannot
    run event loops again, so this must not share the test process's)."""
    import os
    import shutil
    import subprocess

    from app.models.people import Role
    from app.services.users import add_user
    from app.settings import Settings
    from app.store.database import open_database
    from app.ui.application import MEASURE_STARTUP

    database = tmp_path / "demo.sqlite"
    shutil.copyfile(demo_template, database)
    # Someone who has used it before: their profile, remembered, so no "who are you?" first.
    opened = open_database(database, user="tester")
    try:
        with opened.session() as session:
            add_user(session, "tester", Role.ADMINISTRATOR)
    finally:
        opened.close()
    monkeypatch.setenv("COMMISSIONING_CONFIG_DIR", str(tmp_path / "config"))
    settings = Settings.load()
    settings.user_name = "tester"
    settings.save()
    environment = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        COMMISSIONING_CONFIG_DIR=str(tmp_path / "config"),
        COMMISSIONING_DATA_DIR=str(tmp_path / "data"),
        COMMISSIONING_USER="tester",
        **{MEASURE_STARTUP: "1"},
    )
    result = subprocess.run(
        [sys.executable, "-m", "app", "--db", str(database), "--as-of", "2026-11-24"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(
        r"Main window shown and painted .*\d\.\d\d s after the application", result.stdout
    )
