"""A tab's place in the main window until it is first wanted: its real page is made then."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget
from shiboken6 import isValid

from app.ui.context import UiContext


class LazyTab(QWidget):
    """Holds the page of one area of work; the page is built the first time it is asked for
    (the tab is shown, a record is opened in it, a test walks it), so that starting the
    application does not wait for tabs nobody has looked at yet.

    Given the context, a page wanted before the database is open says it is waiting and is
    built as soon as the database is open."""

    built = Signal(QWidget)

    def __init__(
        self,
        area: str,
        title: str,
        factory: Callable[[], QWidget],
        parent: QWidget | None = None,
        context: UiContext | None = None,
    ) -> None:
        super().__init__(parent)
        self.area = area
        self.setObjectName(f"{area}Tab")
        self.setAccessibleName(title)
        self._factory = factory
        self._page: QWidget | None = None
        self._context = context
        self._waiting: QLabel | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    @property
    def is_waiting(self) -> bool:
        """Wanted before the database was open: built as soon as it is."""
        return self._waiting is not None

    @property
    def is_built(self) -> bool:
        return self._page is not None

    @property
    def built_page(self) -> QWidget | None:
        """The page if it has been built, else None (without building it)."""
        return self._page

    def page(self) -> QWidget:
        """The area's page, built now if this is the first time it is wanted (this holder,
        saying it is waiting, while the database is not open yet)."""
        if self._page is None and self._context is not None and not self._context.ready:
            if self._waiting is None:
                self._waiting = QLabel(self.tr("Opening the database…"))
                self._waiting.setObjectName("waitingForDatabase")
                self._waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
                layout = self.layout()
                assert layout is not None
                layout.addWidget(self._waiting)
                self._waiting.show()
                self._context.when_ready(self._database_opened)
            return self
        if self._page is None:
            page = self._factory()
            self._page = page
            self.setAccessibleName(page.accessibleName() or self.accessibleName())
            layout = self.layout()
            assert layout is not None
            layout.addWidget(page)
            page.show()  # now, not on the event loop's next turn: it may be used at once
            self.built.emit(page)
        return self._page

    def _database_opened(self) -> None:
        if not isValid(self):  # the window went before the database opened
            return
        if self._waiting is not None:
            self._waiting.hide()
            self._waiting.deleteLater()
            self._waiting = None
        self.page()
