"""Figures for the city's dashboards, reports and early warning."""
