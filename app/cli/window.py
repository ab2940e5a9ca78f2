"""`commissioning gui` (the default): start the application, if there is a display for it.

Kept apart from the maintenance commands, whose services would load SQLAlchemy before the
window is painted."""

from __future__ import annotations

import argparse
import os
import sys

from app.cli.context import CommandContext


def gui(arguments: argparse.Namespace, context: CommandContext) -> int:
    if not display_available():
        print(
            "No display is available, so the application cannot open its window. "
            "Use the commands (commissioning --help) or run it on a desktop.",
            file=sys.stderr,
        )
        return 1
    from app.ui.application import run

    return run(context)


def display_available() -> bool:
    if os.environ.get("QT_QPA_PLATFORM", "").startswith(("offscreen", "minimal", "vnc")):
        return True
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
