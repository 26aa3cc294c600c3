"""Vector tiles from PostGIS (issue 4): not built yet."""
