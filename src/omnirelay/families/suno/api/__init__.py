"""HTTP edge of the Suno family (``/suno/*``)."""
