"""Benchmarks: each prints one table — the figure, the peer or limit, and the ratio."""
