"""Benchmarks: generated data at scale, and a figure for every budget."""
