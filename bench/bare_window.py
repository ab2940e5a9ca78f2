"""A bare PySide6 window, started and quit once painted: the yardstick for start-up."""

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

application = QApplication(sys.argv)
window = QMainWindow()
window.setCentralWidget(QLabel("ready"))
window.show()
QTimer.singleShot(0, application.quit)
sys.exit(application.exec())
