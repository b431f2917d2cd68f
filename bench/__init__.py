"""Benchmarks (performance.md "Method"). Never part of the unit-test suite: ``make bench``."""
