"""The ``ideogram`` channel type: Ideogram's official synchronous API (spec §4.2)."""
