"""The tamper-evident audit log: append-only entries in an RFC 9162 Merkle tree,
signed checkpoints, inclusion and consistency proofs, and a verifier.

Services call :func:`secassist.audit.service.record` once per state change, in the same
session (so the same transaction) as the change.
"""
