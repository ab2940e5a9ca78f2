"""Application services: each public function is one unit of work and returns plain values."""
