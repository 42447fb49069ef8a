"""The Ideogram family: Ideogram's own synchronous API (spec §4.2), billed per image through the gate."""
