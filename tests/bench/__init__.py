"""Smoke runs of the benchmarks in bench/: tiny sizes, so that they keep working."""
