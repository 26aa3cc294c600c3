"""Planner workflow: drafts, edits, validation, diff, publish, automatic grids, import and export."""
