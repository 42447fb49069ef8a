"""Replicate upstreams (spec §1): the real API, or a gateway that re-exposes it.

``upstream.py`` is the seam the Replicate family calls (neutral create, prediction), ``transforms.py``
the pure mapping to and from the wire, ``errors.py`` problem-details answers in the error tree,
``webhooks.py`` verification of the upstream's signed webhooks, ``adapter.py`` the thin I/O
shell and ``kind.py`` the ``replicate`` channel type.
"""
