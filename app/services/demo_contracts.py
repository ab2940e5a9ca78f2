"""The contracts area's part of the demo: the summary tables the monitoring view reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.services.returns_import import rebuild_summaries

if TYPE_CHECKING:
    from app.services.demo import Demo


def add_contracts_demo(demo: Demo) -> None:
    """Summaries of the demo's returns, as an import would have left them."""
    demo.session.flush()
    rebuild_summaries(demo.session)
