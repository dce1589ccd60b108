"""Vetting before approval: policy factors, sanctions and denied-party screening, Leahy vetting.

The engine (``proposal``, ``rules``, ``ruleset``) is pure and knows nothing of cases; a
workflow builds a :class:`~secassist.vetting.proposal.Proposal` from a case's facts.
Screening (``screening/``) keeps every name screening with the analyst's disposition.
"""
