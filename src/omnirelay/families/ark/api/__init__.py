"""Ark's routes (``/api/v3/images/generations``, ``/api/v3/contents/generations/tasks``, also under ``/ark``)."""
