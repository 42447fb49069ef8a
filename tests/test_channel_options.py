"""Channel options: secret ones are stored encrypted and never shown; sent back as shown, they are kept."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from conftest import Gateway
from omnirelay.db.tables import channels

WHSEC = "whsec_c2VjcmV0LW9mLXRoZS11cHN0cmVhbS1hY2NvdW50"


def _stored_options(url: str, name: str) -> object:
    async def read() -> object:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return (await conn.execute(sa.select(channels.c.options).where(channels.c.name == name))).scalar_one()
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_a_secret_option_is_encrypted_at_rest_hidden_in_listings_and_kept_on_update(
    make_gateway: Callable[..., Gateway],
) -> None:
    gateway = make_gateway()
    created = gateway.admin_json(
        "POST",
        "/api/admin/channels",
        json={
            "name": "rep",
            "type": "replicate",
            "base_url": "https://api.replicate.com",
            "secrets": ["r8_upstream"],
            "models": ["black-forest-labs/flux-schnell"],
            "options": {"webhook_secret": WHSEC},
        },
    )
    assert created["options"] == {"webhook_secret": "[set]"}
    listed = gateway.admin_json("GET", "/api/admin/channels")
    assert WHSEC not in str(listed)
    stored = _stored_options(gateway.settings.effective_database_url, "rep")
    assert WHSEC not in str(stored)

    # what a listing shows, sent back (the CLI's "other options are kept"), keeps the secret
    gateway.admin_json("PATCH", f"/api/admin/channels/{created['id']}", json={"options": created["options"]})
    assert _stored_options(gateway.settings.effective_database_url, "rep") == stored

    gateway.admin_json(
        "PATCH", f"/api/admin/channels/{created['id']}", json={"options": {"webhook_secret": "whsec_other"}}
    )
    changed = _stored_options(gateway.settings.effective_database_url, "rep")
    assert changed != stored and "whsec_other" not in str(changed)


def test_a_task_vendor_channel_without_its_vendor_is_refused_naming_the_option(
    make_gateway: Callable[..., Gateway],
) -> None:
    gateway = make_gateway()
    body = {"name": "tv", "type": "task_vendor", "base_url": "https://api.vendor.example", "models": ["dh"]}
    response = gateway.admin.post("/api/admin/channels", json=body)
    error = response.json()["error"]
    assert response.status_code == 400 and error["param"] == "options.vendor", response.text
    assert "--option vendor=NAME" in error["message"], error
    made = gateway.admin.post("/api/admin/channels", json=body | {"options": {"vendor": "digital-human"}})
    assert made.status_code == 201, made.text
    cleared = gateway.admin.patch(f"/api/admin/channels/{made.json()['id']}", json={"options": {}})
    assert cleared.status_code == 400 and cleared.json()["error"]["param"] == "options.vendor", cleared.text
