"""The ``recraft`` channel type: Recraft's official synchronous API (spec §4.3)."""
