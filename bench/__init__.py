"""Benchmarks: each script prints its figures (see the Benchmarks section of the README)."""
