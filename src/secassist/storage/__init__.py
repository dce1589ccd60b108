"""Storage: the model base, portable column types, engines, the unit of work, migrations."""
