"""The Replicate predictions API family (``/v1/predictions``, ``/replicate/v1/...``), wire-exact for the
official ``replicate`` clients: create by version, model or deployment, get, cancel, list, the
account's webhook signing secret, and the output files behind signed gateway links.

Its upstream adapter is ``providers/replicate/``; they meet at :mod:`omnirelay.families.replicate.upstream`.
"""
