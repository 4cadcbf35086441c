"""Benchmark scripts: each measures one thing and returns named figures (``run() -> list[Figure]``).

Run one alone with ``python -m benchmarks.<name>``, or all of them, judged against the design's
quality bars, with ``make bench`` (``python -m benchmarks``).
"""
