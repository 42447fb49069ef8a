"""The OpenAI-style video surface (``/v1/videos``, spec §5.1) served by any video channel, and the
unified query (``/v1/video/generations``) that reads a video task of any family."""
