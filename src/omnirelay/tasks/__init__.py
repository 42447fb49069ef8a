"""The task engine: durable asynchronous tasks for every async API family (Midjourney first).

Family modules own their wire shapes; the engine owns lifecycle, polling, timeouts, billing
and webhooks. See :mod:`.engine` for the moving parts and :mod:`.model` for the record.
"""
