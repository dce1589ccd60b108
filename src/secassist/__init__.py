"""secassist: security assistance from appropriated dollar to serial number."""

__version__ = "0.1.0"
