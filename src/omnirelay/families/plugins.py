"""Loading the registered families' code, and the routes of all of them for the app."""

from __future__ import annotations

import importlib

from starlette.routing import BaseRoute

from omnirelay.families.base import TaskFamilyPlugin
from omnirelay.families.registry import FAMILIES
from omnirelay.families.spec import FamilySpec

__all__ = ["family_routes", "load_plugin"]


def load_plugin(spec: FamilySpec) -> TaskFamilyPlugin:
    """The plugin ``spec.plugin`` names; a mistyped registration fails here, at startup, by name."""
    module_name, _, attribute = spec.plugin.partition(":")
    plugin = getattr(importlib.import_module(module_name), attribute, None)
    if not isinstance(plugin, TaskFamilyPlugin):
        raise TypeError(f"family {spec.name!r}: {spec.plugin!r} is not a TaskFamilyPlugin")
    return plugin


def family_routes() -> list[BaseRoute]:
    """Every registered family's routes, in registration order."""
    return [route for spec in FAMILIES for route in load_plugin(spec).routes()]
