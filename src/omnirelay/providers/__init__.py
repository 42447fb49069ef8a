"""Upstream providers: capability protocols, the registry, and one folder per provider.

Adding a provider: create ``providers/<name>/`` with ``transform.py`` (pure functions between
the gateway's wire objects and the provider's), ``adapter.py`` (a thin I/O shell around the
injected ``aiohttp.ClientSession``) and ``errors.py`` (translate transport failures into
``omnirelay.errors``), then register its channel type in ``registry.py``.
"""
