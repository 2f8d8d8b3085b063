"""Benchmarks: speed and accuracy figures on real data, written to bench/results.md."""
