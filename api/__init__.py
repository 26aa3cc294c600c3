"""The HTTP layer: translates requests into geo service calls, nothing more."""
