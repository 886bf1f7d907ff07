"""Packaged pricing catalogs, one TOML file per region, each price with its date and source."""
