"""MiniMax's own routes (``/v1/video_generation``, ``/v1/query/video_generation``, ``/v1/files/retrieve``)."""
