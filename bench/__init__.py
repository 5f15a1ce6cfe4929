"""Benchmarks: `make bench` (python -m bench.run). Each prints its figures beside its baseline."""
