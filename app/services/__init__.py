"""Application services: each public function is one unit of work and returns plain values."""

# Keeps the full-text index of the logs up to date on every commit, whatever the road in.
from app.services import log_search as _log_search  # noqa: F401
