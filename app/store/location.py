"""Whether a database sits in a cloud-synced or network folder, which corrupts SQLite files."""

from __future__ import annotations

import os
import sys
from pathlib import Path, PurePath

# Folder names that cloud sync clients create (compared without case).
CLOUD_FOLDERS = {
    "onedrive": "OneDrive",
    "dropbox": "Dropbox",
    "google drive": "Google Drive",
    "googledrive": "Google Drive",
    "my drive": "Google Drive",
    "icloud drive": "iCloud",
    "iclouddrive": "iCloud",
    "mobile documents": "iCloud",
    "com~apple~clouddocs": "iCloud",
    "box sync": "Box",
}
CLOUD_PREFIXES = {"onedrive": "OneDrive", "dropbox": "Dropbox", "googledrive": "Google Drive"}
NETWORK_FILESYSTEMS = ("nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "afs", "9p")


def cloud_service(path: PurePath) -> str | None:
    """The cloud service whose folder holds `path`, judged by its folder names."""
    for part in path.parts[:-1]:
        name = part.lower()
        if name in CLOUD_FOLDERS:
            return CLOUD_FOLDERS[name]
        for prefix, service in CLOUD_PREFIXES.items():
            if name.startswith(prefix + " -") or name.startswith(prefix + "-"):
                return service  # "OneDrive - NHS", "Dropbox (Team)"
            if name.startswith(prefix + " ("):
                return service
    return None


def filesystem_type(path: Path, mounts: str | None = None) -> str | None:
    """The type of the filesystem holding `path`, from /proc/mounts (Linux)."""
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    best = ("", "")
    target = str(path)
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best[0]):
            best = (point, fields[2])
    return best[1] or None


def is_network_filesystem(kind: str | None) -> bool:
    if not kind:
        return False
    return kind in NETWORK_FILESYSTEMS or kind.startswith(("fuse", "nfs", "smb"))


def storage_warning(path: Path, mounts: str | None = None) -> str | None:
    """A warning for a database in a cloud-synced or network folder, else None."""
    resolved = Path(os.path.abspath(path))
    service = cloud_service(resolved)
    if service:
        return (
            f"The database {path} is in a {service} folder. Cloud sync can corrupt a database "
            "that is open, or keep conflicting copies: keep it in a local folder (Settings → "
            "Data folder) and share work through a team server instead."
        )
    text = str(path)
    if text.startswith(("\\\\", "//")):
        return (
            f"The database {path} is on a network share, where file locking is unreliable and "
            "the database can be corrupted: keep it in a local folder."
        )
    if sys.platform.startswith("linux") or mounts is not None:
        kind = filesystem_type(resolved, mounts)
        if is_network_filesystem(kind):
            return (
                f"The database {path} is on a network or user-space filesystem ({kind}), where "
                "file locking is unreliable and the database can be corrupted: keep it in a "
                "local folder."
            )
    return None
