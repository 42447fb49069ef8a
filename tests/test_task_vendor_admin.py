"""Task vendors through the admin API: created, used, replaced and deleted without a restart; every
mistake in a configuration answered 400 naming the field; declared vendors changed only in the file."""

from __future__ import annotations

import copy
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from conftest import Gateway, assert_ledger_balanced
from task_vendor_support import (
    BALANCE,
    DH_KEY,
    DH_PATH,
    balances,
    client,
    created,
    example,
    refused,
    serve_fakes,
    start,
    vendor_channel,
    wait_task,
)

VENDORS = "/api/admin/task-vendors"


def narrator() -> dict[str, Any]:
    """The digital-human example as another vendor: its own path, billed per call, no cancel."""
    config: dict[str, Any] = copy.deepcopy(example("digital-human")["task_vendors"][0])
    config.update(name="narrator", path="/narrator/videos", price={"per": "call"})
    del config["cancel"]
    return config


def test_a_vendor_created_through_the_admin_api_serves_at_once_and_goes_when_deleted(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    _, human_url, _, ppt_url = serve_fakes(stack)
    gateway = start(make_gateway, human_url, ppt_url)
    api = client(stack, gateway)
    refused(api.post("/v1/vendors/narrator/videos", json={"avatar_id": "a", "script": "x"}), 404)

    shown = gateway.admin.post(VENDORS, json=narrator())
    assert shown.status_code == 201, shown.text
    assert shown.json()["client_path"] == "/v1/vendors/narrator/videos" and shown.json()["source"] == "admin"
    gateway.admin_json("PUT", "/api/admin/prices/narrator", json={"per_call": 70_000})
    channel = vendor_channel("narrator", "narrator", "narrator", human_url, DH_KEY)
    gateway.admin_json("POST", "/api/admin/channels", json=channel)

    task = created(api.post("/v1/vendors/narrator/videos", json={"avatar_id": "a", "script": "hello there"}))
    assert wait_task(api, task["id"])["status"] == "succeeded"
    assert balances(gateway)["acme"] == BALANCE - 70_000  # per call, whatever the duration
    refused(api.post(f"/v1/tasks/{task['id']}/cancel"), 409, "cancel_refused")

    listed = {v["name"]: v["source"] for v in gateway.admin_json("GET", VENDORS)["data"]}
    assert listed == {"digital-human": "settings", "slides": "settings", "narrator": "admin"}
    moved = {**narrator(), "path": "/narrator/v2"}
    assert gateway.admin.put(f"{VENDORS}/narrator", json=moved).status_code == 200
    refused(api.post("/v1/vendors/narrator/videos", json={"avatar_id": "a", "script": "x"}), 404)
    created(api.post("/v1/vendors/narrator/v2", json={"avatar_id": "a", "script": "x"}))

    assert gateway.admin_json("DELETE", f"{VENDORS}/narrator") == {"name": "narrator", "deleted": True}
    refused(api.post("/v1/vendors/narrator/v2", json={"avatar_id": "a", "script": "x"}), 404)
    refused(gateway.admin.get(f"{VENDORS}/narrator"), 404)
    assert_ledger_balanced(gateway)


def _refused_config(gateway: Gateway, change: Callable[[dict[str, Any]], None], status: int = 400) -> str:
    config = narrator()
    change(config)
    return refused(gateway.admin.post(VENDORS, json=config), status)


def test_configuration_mistakes_are_refused_naming_the_field(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    _, human_url, _, ppt_url = serve_fakes(stack)
    gateway = start(make_gateway, human_url, ppt_url)

    def bad_pointer(c: dict[str, Any]) -> None:
        c["poll"]["status"] = "data/status"

    def bad_state(c: dict[str, Any]) -> None:
        c["poll"]["statuses"]["completed"] = "succeded"

    def undefined(c: dict[str, Any]) -> None:
        c["submit"]["body"]["voice"] = "{{ body.voise }}"

    def no_price(c: dict[str, Any]) -> None:
        del c["price"]

    def typo(c: dict[str, Any]) -> None:
        c["poll"]["intervall_s"] = 3

    assert "poll.status" in (message := _refused_config(gateway, bad_pointer)) and "/data/status" in message
    assert "did you mean succeeded?" in _refused_config(gateway, bad_state)
    assert "submit.body: {{ body.voise }} is not defined here" in _refused_config(gateway, undefined)
    assert "price: Field required" in _refused_config(gateway, no_price)
    assert "poll.intervall_s: unknown setting (did you mean interval_s?)" in _refused_config(gateway, typo)
    assert "both take POST /v1/vendors/digital-human/videos" in _refused_config(
        gateway, lambda c: c.update(path="/digital-human/videos"), 409
    )
    assert "declared in the settings file" in _refused_config(gateway, lambda c: c.update(name="slides"), 409)
    refused(gateway.admin.delete(f"{VENDORS}/digital-human"), 409, "conflict")
    refused(client(stack, gateway).get(VENDORS), 401)
    assert [v["name"] for v in gateway.admin_json("GET", VENDORS)["data"]] == ["digital-human", "slides"]
    refused(client(stack, gateway).post(DH_PATH, json={}), 400)
