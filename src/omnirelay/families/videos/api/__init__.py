"""Routes of the videos family: ``/v1/videos`` (OpenAI's shape) and ``/v1/video/generations`` (unified)."""
