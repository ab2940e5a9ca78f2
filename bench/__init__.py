"""Benchmarks: realistic data at scale, and a figure for every budget (`python -m bench`)."""
