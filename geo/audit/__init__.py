"""The append-only audit log of changes."""
