"""Orchestration: the only layer that calls several domains in one step."""
