"""Task families (Midjourney, Suno, ...): one folder each, with its wire shapes, service and routes.

Upstream adapters stay in ``providers/``; the engine (``tasks/``), the gate and the runtime know a
family only through :mod:`omnirelay.families.base` and the one line in :mod:`omnirelay.families.registry`.

Synchronous vendors (Ideogram, Recraft) are families too, with no renderers: their service runs each
call through :mod:`omnirelay.families.sync_call` (hold, call with failover, keep the images, settle).

Adding a family ``<name>``:

1. ``families/<name>/``: its wire shapes and a :class:`~omnirelay.tasks.family.TaskFamily` renderer,
   its service, its routes (``api/``), and ``plugin.py`` with a
   :class:`~omnirelay.families.base.TaskFamilyPlugin` (``routes()``, ``build(ctx)``).
2. ``families/<name>/spec.py``: its :class:`~omnirelay.families.spec.FamilySpec` (name, plugin import
   string, per-call price names); import nothing heavier than its price list there.
3. One line in ``families/registry.py``.
4. Its upstream adapters in ``providers/<upstream>/``, one line each in ``providers/registry.py``.
"""
