"""Commissioning: a desktop application for commissioning specialised services."""

from importlib.metadata import PackageNotFoundError, version

APP_NAME = "commissioning"
APP_TITLE = "Specialised Commissioning"

try:
    __version__ = version(APP_NAME)
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
