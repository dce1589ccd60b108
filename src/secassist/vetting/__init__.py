"""Policy vetting before a transfer is approved: pure factor rules, versioned policy
profiles, decision records with sign-offs, and Leahy vetting of recipient units.

The engine (``proposal``, ``rules``, ``ruleset``) is pure and knows nothing of cases; a
workflow builds a :class:`~secassist.vetting.proposal.Proposal` from a case's facts.
"""
