"""Upstream providers: capability protocols, the registry, and one folder per provider.

Adding a provider: create ``providers/<name>/`` with ``transform.py`` (pure functions between
the gateway's wire objects and the provider's), ``adapter.py`` (a thin I/O shell around the
injected ``aiohttp.ClientSession``) and ``errors.py`` (translate transport failures into
``omnirelay.errors``), then declare its channel type in ``kind.py`` (a ``ChannelKind``: the
provider factory, its base URL rule, what its models are for) and list it in ``registry.py``.
"""
