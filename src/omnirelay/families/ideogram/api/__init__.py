"""HTTP edge of the Ideogram family."""
