"""Builds the Haikou dataset: real outlines and town codes, generated everything below."""
