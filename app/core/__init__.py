"""Application wiring: configuration, the database and its types, extensions, schema,
translations, backups."""
