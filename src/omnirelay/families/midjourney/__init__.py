"""The Midjourney-Proxy API family (``/mj/*``): wire shapes, actions, submissions, its service and routes.

Its upstream adapters are ``providers/midjourney_proxy/`` and ``providers/local/midjourney.py``;
they meet this family at :mod:`omnirelay.families.midjourney.upstream`.
"""
