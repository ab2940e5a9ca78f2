"""What the PyInstaller spec decides, kept in plain Python so that the tests can check it."""

from __future__ import annotations

import posixpath
import re
import subprocess
import tomllib
from collections.abc import Callable, Iterable, Mapping
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
    # Optional imports of libraries that reach nothing the application does: Mako's syntax
    # highlighting, pandas's second xlsx writer (the application writes with openpyxl; the
    # package is only a test dependency), pyarrow's download helper, numpy's Fortran wrapper
    # builder, and lxml's parts python-docx does not use.
    "pygments",
    "mako.ext.pygmentplugin",
    "xlsxwriter",
    "requests",
    "urllib3",
    "charset_normalizer",
    "numpy.f2py",
    "lxml.objectify",
    "lxml.html",
    "lxml.isoschematron",
    # SQLAlchemy's dialects for servers the application does not support (Alembic names them
    # only for type checking), and Python's codecs for Chinese, Japanese and Korean encodings
    # (returns are UTF-8 or Windows-1252; an unknown encoding is reported, as before).
    "sqlalchemy.dialects.mysql",
    "sqlalchemy.dialects.mssql",
    "sqlalchemy.dialects.oracle",
    "_codecs_cn",
    "_codecs_hk",
    "_codecs_iso2022",
    "_codecs_jp",
    "_codecs_kr",
    "_codecs_tw",
    "_multibytecodec",
    # pyarrow: the application reads CSV returns with pyarrow.csv, and pandas uses
    # pyarrow.compute for its text columns; the file formats, file systems, query engines and
    # RPC framework it does not use go (Flight and S3 alone are 38 MB of libraries).
    "pyarrow.tests",
    "pyarrow.conftest",
    "pyarrow._pyarrow_cpp_tests",
    "pyarrow.benchmark",
    "pyarrow.flight",
    "pyarrow._flight",
    "pyarrow.parquet",
    "pyarrow._parquet",
    "pyarrow._parquet_encryption",
    "pyarrow.dataset",
    "pyarrow._dataset",
    "pyarrow._dataset_orc",
    "pyarrow._dataset_parquet",
    "pyarrow._dataset_parquet_encryption",
    "pyarrow.acero",
    "pyarrow._acero",
    "pyarrow.substrait",
    "pyarrow._substrait",
    "pyarrow.orc",
    "pyarrow._orc",
    "pyarrow.feather",
    "pyarrow._feather",
    "pyarrow.json",
    "pyarrow._json",
    "pyarrow.fs",
    "pyarrow._fs",
    "pyarrow._s3fs",
    "pyarrow._gcsfs",
    "pyarrow._azurefs",
    "pyarrow._hdfs",
    "pyarrow.cuda",
    "pyarrow._cuda",
    "pyarrow.gandiva",
    "pyarrow.jvm",
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

# Linux: system libraries left to the desktop the program runs on, as AppImage's exclude list
# leaves them: the X11 client library and the font stack (fontconfig, FreeType and the expat
# it reads its configuration with), which must match the host's own font configuration, and
# the D-Bus client library with what Debian links it against (systemd's, and libgcrypt), which
# talks to the host's D-Bus daemon. Every Linux desktop has them. 5.5 MB.
HOST_LIBRARIES = frozenset(
    {
        "libX11.so.6",
        "libfontconfig.so.1",
        "libfreetype.so.6",
        "libexpat.so.1",
        "libdbus-1.so.3",
        "libsystemd.so.0",
        "libgcrypt.so.20",
        "libgpg-error.so.0",
        "liblz4.so.1",
        "libcap.so.2",
    }
)


def from_host(destination: str) -> bool:
    """Whether a collected library (its path in the bundle) is left to the host (Linux)."""
    path = destination.replace("\\", "/")
    return "/" not in path and path in HOST_LIBRARIES


# Large files Qt ships that the application does not need.
DROPPED_FILES = frozenset(
    {
        "opengl32sw.dll",  # software OpenGL for Windows: the application draws no OpenGL
    }
)

# Files that are sources or tests of a package, never read at run time: pyarrow alone ships
# 10 MB of C++ headers, Cython sources and test data.
_SOURCE_OR_TEST = re.compile(
    r"(?:^|/)(?:tests|include)/|\.(?:pxd|pxi|pyx|h|hpp|cc|cpp|c)$|(?:^|/)pyarrow/src/"
)
_PLUGIN = re.compile(r"(?:^|/)plugins/([^/]+)/([^/]+)$")
# A Python extension module: PyInstaller types some as BINARY (pyarrow's hook gathers
# pyarrow.lib with the libraries), so the file name, not the type code, says what it is.
_EXTENSION = re.compile(r"\.(?:cpython-[^/]*|abi3)\.so$|\.pyd$")
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
    if _SOURCE_OR_TEST.search(path):
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


# Libraries a package loads itself with ctypes, which no binary names as needed: PDFium, which
# draws the pages of the in-app PDF preview (pypdfium2).
_LOADED_BY_CTYPES = re.compile(r"(?:^|/)pypdfium2_raw/(?:lib)?pdfium\.(?:so|dll|dylib)$")


def is_root(entry: Entry) -> bool:
    """A binary loaded by the program itself (an extension module, a Qt plugin, Python, a
    library loaded with ctypes)."""
    destination, _, kind = entry
    path = destination.replace("\\", "/")
    return (
        kind == "EXTENSION"
        or _EXTENSION.search(path) is not None
        or _PLUGIN.search(path) is not None
        or _LOADED_BY_CTYPES.search(path) is not None
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


# Linux: libraries that kept binaries name as needed but take nothing from, replaced by empty
# stand-ins of the same name. pyarrow links every extension module against all of its
# libraries, but pyarrow.lib, pyarrow.compute and pyarrow.csv take no symbol from the query
# engine, datasets, Parquet or Substrait (18 MB); `symbols_only_stubs_gave` proves it at each
# build, so a pyarrow that starts using them fails the build instead of the program.
_EMPTY_STUB = re.compile(r"^lib(?:arrow_substrait|arrow_dataset|parquet|arrow_acero)\.so\.\d+$")
# Qt Core needs ICU's code, but of ICU's 32 MB of data (collation rules, converters, locale
# names) only collation is reached, by QCollator in Qt's own file dialog, which then falls
# back to comparing the text as it is. ICU's own "stubdata" is this: a table with no entries.
_ICU_DATA = re.compile(r"^libicudata\.so\.(\d+)$")
_ICU_STUB = """\
/* ICU's stubdata: a common-data header with no entries (ICU then finds no data). */
typedef struct {
    unsigned short headerSize;
    unsigned char magic1, magic2;
    unsigned short infoSize, infoReserved;
    unsigned char isBigEndian, charsetFamily, sizeofUChar, reservedByte;
    unsigned char dataFormat[4], formatVersion[4], dataVersion[4];
    char padding[8];
    unsigned int count, reserved;
    unsigned int toc[2];
} CommonData;
__attribute__((visibility("default"))) const CommonData icudt%s_dat = {
    32, 0xda, 0x27, 20, 0, 0, 0, 2, 0,
    {0x43, 0x6d, 0x6e, 0x44}, {1, 0, 0, 0}, {0, 0, 0, 0}, {0}, 0, 0, {0, 0}};
"""


def stub_source(file_name: str) -> str | None:
    """The C source of the stand-in for a library (by its file name), or None to keep it."""
    if _EMPTY_STUB.match(file_name):
        return "/* Empty: nothing kept takes a symbol from the library this stands in for. */\n"
    icu = _ICU_DATA.match(file_name)
    if icu:
        return _ICU_STUB % icu.group(1)
    return None


def build_stub(file_name: str, folder: Path, compiler: str = "cc") -> Path:
    """Compile the stand-in for `file_name` into `folder`, named and sonamed like it."""
    source = stub_source(file_name)
    if source is None:
        raise ValueError(f"{file_name} has no stand-in")
    folder.mkdir(parents=True, exist_ok=True)
    c_file = folder / f"{file_name}.c"
    c_file.write_text(source)
    target = folder / file_name
    subprocess.run(
        [compiler, "-shared", "-fPIC", "-O2", f"-Wl,-soname,{file_name}", "-o", str(target),
         str(c_file)],
        check=True,
    )  # fmt: skip
    return target


def dynamic_symbols(path: str, defined: bool) -> set[str]:
    """The dynamic symbols a binary defines, or the ones it needs (not weak), by nm."""
    option = "--defined-only" if defined else "--undefined-only"
    listing = subprocess.run(
        ["nm", "-D", "--format=posix", option, path], capture_output=True, text=True, check=True
    ).stdout
    symbols = set()
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) >= 2 and (defined or fields[1] == "U"):
            symbols.add(fields[0].split("@", 1)[0])
    return symbols


def symbols_only_stubs_gave(
    needed: Mapping[str, set[str]], defined_by_kept: set[str], defined_by_replaced: set[str]
) -> dict[str, set[str]]:
    """For each kept binary, the symbols it needs that only a replaced original defined."""
    lost = defined_by_replaced - defined_by_kept
    return {name: needs & lost for name, needs in needed.items() if needs & lost}


# Linux: libraries that a wheel vendors under a hashed name while the bundle holds the same
# library under its own name: one copy serves both, through a symbolic link (the loader then
# maps the one file once). Each pair: (the copy replaced, the copy that stays), as patterns
# on the path in the bundle. 8.5 MB.
SHARED_COPIES: list[tuple[str, str]] = [
    # OpenSSL 3: Python's hashlib (scrypt) and ssl take psycopg's copy, the newer one (3.5,
    # against Debian's 3.0); OpenSSL keeps its ABI and symbol versions across 3.x.
    (r"libcrypto\.so\.3", r"psycopg_binary\.libs/libcrypto-[0-9a-f]{8}\.so\.3"),
    (r"libssl\.so\.3", r"psycopg_binary\.libs/libssl-[0-9a-f]{8}\.so\.3"),
    # Pillow's own copies of libraries Qt brings anyway (its libXau is 2 MB for 8 functions).
    (r"pillow\.libs/libXau-[0-9a-f]{8}\.so\.6[.0-9]*", r"libXau\.so\.6"),
    (r"pillow\.libs/libzstd-[0-9a-f]{8}\.so\.1[.0-9]*", r"libzstd\.so\.1"),
    (r"pillow\.libs/liblzma-[0-9a-f]{8}\.so\.5[.0-9]*", r"liblzma\.so\.5"),
]


def share_copies(
    binaries: Iterable[Entry], pairs: Iterable[tuple[str, str]] = SHARED_COPIES
) -> tuple[list[Entry], list[Entry]]:
    """The binaries with each replaceable copy turned into a link to the copy that stays
    (when exactly one such copy is there), and the entries so replaced."""
    entries = list(binaries)
    files = [_bundle_path(entry[0]) for entry in entries if entry[2] != "SYMLINK"]
    result: list[Entry] = []
    replaced: list[Entry] = []
    for entry in entries:
        destination = _bundle_path(entry[0])
        link = None
        if entry[2] != "SYMLINK":
            for copy, kept in pairs:
                targets = [path for path in files if re.fullmatch(kept, path)]
                if re.fullmatch(copy, destination) and len(targets) == 1:
                    # PyInstaller takes a link's target relative to the link's own folder.
                    link = posixpath.relpath(targets[0], posixpath.dirname(destination) or ".")
        if link is None:
            result.append(entry)
        else:
            result.append((entry[0], link, "SYMLINK"))
            replaced.append(entry)
    return result, replaced
