"""A function whose import fails: the runtime must report it to /init/error."""

raise RuntimeError("cannot connect to the database at import")
