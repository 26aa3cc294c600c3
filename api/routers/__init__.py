"""One router per domain noun."""
