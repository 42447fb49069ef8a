"""Kling's official routes (``/v1/videos/...``, ``/v1/images/generations``, also under ``/kling``)."""
