"""FMS cases from Letter of Request to closure (issue #4)."""
