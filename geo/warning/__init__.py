"""Early warning: hotspots and repeat disputes."""
