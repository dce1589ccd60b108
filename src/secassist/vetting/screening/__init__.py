"""Sanctions and restricted-party screening: list loaders, a pure matcher, kept screenings.

* :mod:`.parsers` read the lists' native files into :class:`.entities.ParsedList`;
* :mod:`.matcher` normalises names and scores a query against an in-memory index (pure);
* :mod:`.service` records list versions, screenings and analysts' dispositions (audited).
"""
