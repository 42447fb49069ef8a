"""The Suno API family (``/suno/*``, the aggregator "Suno API" format of new-api).

Its upstream seam is :mod:`omnirelay.families.suno.upstream`, which the adapters in
``providers/suno/`` implement.
"""
