"""The platform API (``/api/v1/``): what a customer does in the console, as JSON (docs/api-platform.md)."""
