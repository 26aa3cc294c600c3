"""Incidents: disputes for mediation and public-safety events, placed in the area chain."""
