"""The web console: server-rendered pages (Jinja2, vendored htmx) served by ``omnirelay serve`` itself.

Pages call the same services as the platform API (``omnirelay.platform``); every string comes from
the message catalogue (``messages/*.json``), never from a template (docs/console.md).
"""
