"""Settings, the error hierarchy, the clock and small shared types: the bottom layer."""
