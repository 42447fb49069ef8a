"""The family seam: every registered family loads by name, and a wrong registration fails at start-up, by name."""

from __future__ import annotations

import pytest
from starlette.routing import BaseRoute

from omnirelay.billing.per_call_families import PER_CALL_CHANNEL_TYPES, PER_CALL_PRICES
from omnirelay.families.base import TaskFamilyPlugin
from omnirelay.families.plugins import family_routes, load_plugin
from omnirelay.families.registry import FAMILIES
from omnirelay.families.spec import FamilySpec


def test_every_registered_family_loads_and_brings_routes() -> None:
    assert "midjourney" in [spec.name for spec in FAMILIES]
    for spec in FAMILIES:
        assert isinstance(load_plugin(spec), TaskFamilyPlugin)
    routes = family_routes()
    assert routes and all(isinstance(route, BaseRoute) for route in routes)


def test_billing_learns_per_call_prices_from_the_registry() -> None:
    assert {"mj_imagine", "mj_upscale", "swap_face"} <= PER_CALL_PRICES
    assert "midjourney" in PER_CALL_CHANNEL_TYPES


@pytest.mark.parametrize(
    "plugin", ["omnirelay.families.midjourney.plugin:NOPE", "omnirelay.families.midjourney.spec:MIDJOURNEY"]
)
def test_a_registration_naming_no_plugin_is_refused_by_name(plugin: str) -> None:
    with pytest.raises(TypeError, match="family 'broken'"):
        load_plugin(FamilySpec(name="broken", plugin=plugin))
