"""The Typer command line: a thin adapter over services and workflows."""
