"""HTTP edge of the Midjourney-Proxy family (``/mj/*``, ``/mj-fast/mj/*`` ...)."""
