"""People's mediation: organisations, mediators, dispute categories."""
