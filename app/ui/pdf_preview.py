"""A written PDF previewed inside the application: its pages drawn by PDFium off the GUI thread."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.ui.errors import show_error
from app.ui.tasks import Task, start_task

ZOOMS = (0.75, 1.0, 1.25, 1.5, 2.0)


@dataclass(frozen=True)
class DrawnPage:
    """One page as pixels (BGR, rows `stride` bytes apart), ready to become a QImage."""

    width: int
    height: int
    stride: int
    pixels: bytes


def draw_pages(path: Path, scale: float) -> list[DrawnPage]:
    """Every page of `path` at `scale` (1.0 is 72 dots per inch); runs on a worker."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        pages = []
        for page in document:
            bitmap = page.render(scale=scale)
            pages.append(
                DrawnPage(bitmap.width, bitmap.height, bitmap.stride, bytes(bitmap.buffer))
            )
        return pages
    finally:
        document.close()


class PdfPreview(QDialog):
    """The pages one under another, zoomable; the system viewer is a click away."""

    drawn = Signal(int)

    def __init__(self, path: Path, log_file: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.log_file = log_file
        self._task: Task | None = None
        self.setWindowTitle(self.tr("Preview: {0}").format(path.name))
        self.setAccessibleName(self.tr("Preview of {0}").format(path.name))
        self.zoom = QComboBox()
        self.zoom.setAccessibleName(self.tr("Zoom"))
        for zoom in ZOOMS:
            self.zoom.addItem(f"{zoom:.0%}", zoom)
        self.zoom.setCurrentIndex(ZOOMS.index(1.25))
        self.status = QLabel(self.tr("Drawing the pages…"))
        self.status.setAccessibleName(self.tr("Preview status"))
        self.pages = QWidget()
        self.pages.setAccessibleName(self.tr("Pages"))
        self.page_layout = QVBoxLayout(self.pages)
        self.page_layout.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.page_layout.setSpacing(12)
        self.page_view = QScrollArea()
        self.page_view.setAccessibleName(self.tr("Pages of {0}").format(path.name))
        self.page_view.setWidget(self.pages)
        self.page_view.setWidgetResizable(True)
        self.page_view.setBackgroundRole(self.palette().ColorRole.Dark)
        system = QPushButton(self.tr("Open in the &system viewer"))
        system.setAccessibleName(self.tr("Open in the system viewer"))
        system.clicked.connect(self.open_outside)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.setAccessibleName(self.tr("Dialog buttons"))
        buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        zoom_label = QLabel(self.tr("&Zoom:"))
        zoom_label.setBuddy(self.zoom)
        top.addWidget(zoom_label)
        top.addWidget(self.zoom)
        top.addWidget(self.status, 1)
        top.addWidget(system)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.page_view, 1)
        layout.addWidget(buttons)
        for keys, step in (
            (QKeySequence.StandardKey.ZoomIn, 1),
            (QKeySequence.StandardKey.ZoomOut, -1),
        ):
            QShortcut(QKeySequence(keys), self, lambda step=step: self.step_zoom(step))
        self.zoom.currentIndexChanged.connect(self.draw)
        self.resize(900, 1000)
        self.draw()

    def step_zoom(self, step: int) -> None:
        index = max(0, min(len(ZOOMS) - 1, self.zoom.currentIndex() + step))
        self.zoom.setCurrentIndex(index)

    @Slot()
    def draw(self) -> None:
        """Draw the pages at the chosen zoom on a worker; they replace the old ones when done."""
        scale, path = float(self.zoom.currentData()), self.path
        self.status.setText(self.tr("Drawing the pages…"))
        self._task = start_task(lambda: draw_pages(path, scale), self._show, self._failed)

    @Slot(object)
    def _show(self, pages: list[DrawnPage]) -> None:
        self._task = None
        while self.page_layout.count():
            item = self.page_layout.takeAt(0)
            old = item.widget() if item is not None else None
            if old is not None:
                old.deleteLater()
        for number, page in enumerate(pages, start=1):
            image = QImage(
                page.pixels, page.width, page.height, page.stride, QImage.Format.Format_BGR888
            ).copy()  # the pixels' bytes belong to the page, not to Qt
            label = QLabel()
            label.setAccessibleName(self.tr("Page {0} of {1}").format(number, len(pages)))
            pixmap = QPixmap.fromImage(image)
            label.setPixmap(pixmap)
            label.setFixedSize(pixmap.size())  # a page keeps its size; the view scrolls
            self.page_layout.addWidget(label)
        self.status.setText(self.tr("{0} pages").format(len(pages)))
        self.drawn.emit(len(pages))

    @Slot(object)
    def _failed(self, error: Exception) -> None:
        self._task = None
        self.status.setText(self.tr("The pages could not be drawn."))
        show_error(error, self.log_file, self.tr("Preview"))

    @Slot()
    def open_outside(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path)))
