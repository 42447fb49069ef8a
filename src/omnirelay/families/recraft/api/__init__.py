"""HTTP edge of the Recraft family."""
