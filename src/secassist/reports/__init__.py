"""Read models over the domains: read-only queries, exports and charts (DESIGN.md layers:
between the workflows and the adapters; nothing here writes)."""
