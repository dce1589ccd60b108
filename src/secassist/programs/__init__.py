"""Security-assistance funds: appropriations → allocations to countries → obligations
(to an FMS case line, to training, to a recipient unit) → expenditures, on an append-only
ledger whose balances are derived, never stored."""
