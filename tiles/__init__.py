"""Vector tiles from PostGIS: an allow-listed layer registry, MVT, TileJSON, styles, cache."""
