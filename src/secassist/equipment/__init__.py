"""Equipment accountability after delivery: the catalog (item types, EEUM designations),
the registry of serialized items and bulk lots, their append-only custody chain, end-use
monitoring (EEUM inventories, delinquency, incidents) and inventory reconciliation
(domain.md §7, DoD Golden Sentry)."""
