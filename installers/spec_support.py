"""What the PyInstaller spec decides, kept in plain Python so that the tests can check it."""

from __future__ import annotations

import posixpath
import re
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path

# A table of contents entry of PyInstaller: (path in the bundle, source path, type code).
Entry = tuple[str, str, str]


def project_metadata(pyproject: Path) -> tuple[str, str]:
    """The project's name and version, as pyproject.toml declares them (the one place)."""
    with pyproject.open("rb") as stream:
        project = tomllib.load(stream)["project"]
    return project["name"], project["version"]


# Python modules the application never imports at run time.
EXCLUDED_MODULES = [
    # Test and build tools.
    "pytest",
    "_pytest",
    "pytestqt",
    "hypothesis",
    "pypdf",
    "mypy",
    "PyInstaller",
    "setuptools",
    "pip",
    # Toolkits and libraries nothing here uses, though some library may mention them.
    "tkinter",
    "_tkinter",
    "turtle",
    "matplotlib",
    "IPython",
    # reportlab needs Pillow's core, but none of its optional codecs, colour management,
    # fonts or toolkit bridges (AVIF and WebP alone bring 6 MB of libraries).
    "PIL._avif",
    "PIL.AvifImagePlugin",
    "PIL._webp",
    "PIL.WebPImagePlugin",
    "PIL._imagingcms",
    "PIL.ImageCms",
    "PIL._imagingft",
    "PIL._imagingtk",
    "PIL.ImageTk",
    "PIL.ImageQt",
    "readline",
    "lib2to3",
    "pydoc_data",
    # Qt modules other than Core, Gui and Widgets (their libraries stay when Qt needs them).
    "PySide6.QtNetwork",
    "PySide6.QtDBus",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets",
    "PySide6.QtSql",
    "PySide6.QtTest",
    "PySide6.QtPrintSupport",
    "PySide6.QtSvgWidgets",
]

# Qt plugins kept, by type: the plugin names (without lib prefix and file suffix), or None
# for every plugin of the type. Any other type is left out.
KEPT_PLUGINS: dict[str, frozenset[str] | None] = {
    # The windowing systems: X11 and Wayland, Windows, macOS, and none (headless, for tests).
    "platforms": frozenset({"qxcb", "qwayland", "qwindows", "qcocoa", "qoffscreen"}),
    # The application's icons are SVG; PNG support is built into Qt itself.
    "imageformats": frozenset({"qsvg"}),
    "iconengines": frozenset({"qsvgicon"}),
    # The desktop's file dialogs through its portal (Flatpak, GNOME, KDE), without GTK.
    "platformthemes": frozenset({"qxdgdesktopportal"}),
    # Dead keys and input methods, so accented names can be typed.
    "platforminputcontexts": frozenset(
        {"composeplatforminputcontextplugin", "ibusplatforminputcontextplugin"}
    ),
    "styles": None,  # the native look on Windows and macOS
    "wayland-shell-integration": frozenset({"xdg-shell"}),
    "wayland-decoration-client": None,
}

# Large files Qt ships that the application does not need.
DROPPED_FILES = frozenset(
    {
        "opengl32sw.dll",  # software OpenGL for Windows: the application draws no OpenGL
    }
)

_PLUGIN = re.compile(r"(?:^|/)plugins/([^/]+)/([^/]+)$")
_TRANSLATION = re.compile(r"(?:^|/)translations/[^/]+\.qm$")
_QML = re.compile(r"(?:^|/)Qt/qml/|(?:^|/)PySide6/qml/")


def _plugin_name(file_name: str) -> str:
    stem = re.sub(r"\.(so|dll|dylib)$", "", file_name)
    return stem[3:] if stem.startswith("lib") else stem


def keep_entry(destination: str) -> bool:
    """Whether a collected file (its path inside the bundle) is kept."""
    path = destination.replace("\\", "/")
    if path.rsplit("/", 1)[-1].lower() in DROPPED_FILES:
        return False
    if _TRANSLATION.search(path) or _QML.search(path):
        # The application is in English: Qt's translations of its own dialogs are not needed.
        return False
    plugin = _PLUGIN.search(path)
    if plugin and "PySide6" in path:
        kind, file_name = plugin.groups()
        if kind not in KEPT_PLUGINS:
            return False
        names = KEPT_PLUGINS[kind]
        return names is None or _plugin_name(file_name) in names
    return True


def is_root(entry: Entry) -> bool:
    """A binary loaded by the program itself (an extension module, a Qt plugin, Python)."""
    destination, _, kind = entry
    path = destination.replace("\\", "/")
    return (
        kind == "EXTENSION"
        or _PLUGIN.search(path) is not None
        or re.match(r"(lib)?python3", path.rsplit("/", 1)[-1]) is not None
    )


def without_unreachable(
    binaries: Iterable[Entry], imports: Callable[[str], Iterable[str]]
) -> list[Entry]:
    """The binaries less the shared libraries that nothing kept needs any more.

    PyInstaller gathers the libraries every collected plugin needs before the spec leaves
    plugins out; `imports(source)` names the libraries a binary needs (all of them, as ldd
    does), so a library no kept binary names goes. Symbolic links to a removed file go too.
    """
    entries = list(binaries)
    needed: set[str] = set()
    for entry in entries:
        if entry[2] != "SYMLINK" and is_root(entry):
            needed.update(Path(name).name for name in imports(entry[1]))
    kept = [
        entry
        for entry in entries
        if entry[2] == "SYMLINK" or is_root(entry) or Path(entry[0]).name in needed
    ]
    present = {_bundle_path(entry[0]) for entry in kept if entry[2] != "SYMLINK"}
    return [
        entry
        for entry in kept
        if entry[2] != "SYMLINK"
        or posixpath.normpath(
            posixpath.join(posixpath.dirname(_bundle_path(entry[0])), _bundle_path(entry[1]))
        )
        in present
    ]


def _bundle_path(path: str) -> str:
    return path.replace("\\", "/")
