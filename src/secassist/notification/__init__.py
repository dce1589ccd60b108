"""Congressional notification: thresholds, review periods, notices written and read."""
