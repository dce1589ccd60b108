"""Fault tests (issue #16): hostile input, crash safety and concurrency, on both databases."""
