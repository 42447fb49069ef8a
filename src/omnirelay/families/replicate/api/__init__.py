"""HTTP edge of the Replicate family."""
