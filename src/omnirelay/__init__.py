"""omnirelay: one base URL and one API key in front of every AI model.

The package is cut by feature: ``settings`` and ``errors`` are shared vocabulary,
``db`` is the store, ``accounts``/``billing``/``channels`` are the domain,
``providers`` talks to upstreams, ``relay`` runs a call end to end, ``api`` is the
HTTP edge and ``cli`` the command line.
"""

__version__ = "0.1.0"
