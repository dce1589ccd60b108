"""Reference data that changes by law or policy: reviewable files with dates and sources.

Use :func:`secassist.reference.service.get_reference` for the as-of-date API.
"""
