"""Geography of the demo region (Kaihua County)."""
