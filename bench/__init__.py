"""Benchmarks: one module per benchmark, each run as ``python -m bench.<name>`` (BENCHMARKS.md)."""
