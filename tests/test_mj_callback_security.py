"""Midjourney callbacks and media against a hostile key holder: the callback URL never follows the
client's Host header, a callback token names one task, a callback's body is never believed (the
upstream is polled and its answer applied), and media links are fetched only through the outbound
guard and served so they cannot run as a page on the gateway's origin.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conftest import USER_KEY, Gateway, assert_ledger_balanced, funded
from mj_support import PRICE, fetch, mj_channel, mj_prices, wait_for, wait_status
from omnirelay.testing import FakeMidjourney, FakeMidjourneyKnobs, serve_in_thread

BALANCE = 10_000_000


@dataclass
class Internal:
    """An internal service a key holder would like the gateway to read for them (on 127.0.0.2)."""

    hits: list[str] = field(default_factory=list)

    @property
    def app(self) -> Starlette:
        async def secret(request: Request) -> Response:
            self.hits.append(request.url.path)
            return Response("<h1>internal admin</h1>", media_type="text/html")

        return Starlette(routes=[Route("/{path:path}", secret)])


@dataclass
class World:
    gateway: Gateway
    fake: FakeMidjourney
    client: httpx.Client

    def submit(self, prompt: str, **headers: str) -> str:
        answer = self.client.post("/mj/submit/imagine", json={"prompt": prompt}, headers=headers).json()
        assert answer["code"] == 1, answer
        return str(answer["result"])

    def hook_of(self, prompt: str) -> str:
        """The callback URL the upstream was given with the task of ``prompt``."""
        submits = [r.json for r in self.fake.requests if r.path.endswith("/submit/imagine")]
        return next(str(body["notifyHook"]) for body in submits if body["prompt"] == prompt)

    def upstream_id(self, prompt: str) -> str:
        return next(i for i, t in self.fake.tasks.items() if t["prompt"] == prompt)

    def polls(self) -> int:
        return sum(r.path.endswith("/list-by-condition") for r in self.fake.requests)

    def settled(self, task_id: str, polls: int) -> None:
        """Wait until a callback made the gateway poll the upstream (or, wrongly, changed the task at once)."""
        wait_for(lambda: self.polls() > polls or fetch(self.client, task_id)["status"] != "IN_PROGRESS")
        time.sleep(0.2)  # the poll's answer is applied

    def balance(self) -> int:
        accounts = self.gateway.admin_json("GET", "/api/admin/accounts")["data"]
        return int(next(a for a in accounts if a["name"] == "acme")["balance"])

    def entries(self, task_id: str) -> list[tuple[str, int]]:
        rows = self.gateway.admin_json("GET", "/api/admin/accounts/1/ledger", params={"limit": 200})["data"]
        return [(r["kind"], r["amount"]) for r in reversed(rows) if r["request_id"] == task_id]


@pytest.fixture
def world(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> Callable[..., World]:
    def make(*, hold: bool = False, **settings: Any) -> World:
        fake = FakeMidjourney(FakeMidjourneyKnobs(api_secret="mj-secret", step_s=0.02, hold=hold))
        url = stack.enter_context(serve_in_thread(fake.app))
        values: dict[str, Any] = {
            **funded(BALANCE),
            "channels": [mj_channel("mj", url)],
            "prices": mj_prices(),
            "tasks": {"poll_min_s": 3600, "poll_max_s": 3600},  # only callbacks (and the polls they cause) move tasks
            "outbound": {"allow_networks": ["127.0.0.1/32"]},  # the fake proxy's files, not 127.0.0.2
        }
        gateway = make_gateway(**(values | settings))
        headers = {"Authorization": f"Bearer {USER_KEY}"}
        client = stack.enter_context(httpx.Client(base_url=gateway.url, headers=headers, timeout=30))
        return World(gateway, fake, client)

    return make


@pytest.fixture
def internal() -> Iterator[tuple[Internal, str]]:
    service = Internal()
    with serve_in_thread(service.app, host="127.0.0.2") as url:
        yield service, url


def test_callback_urls_and_links_never_follow_the_host_header(world: Callable[..., World]) -> None:
    w = world()
    forged = {"Host": "attacker.example:8443", "X-Forwarded-Host": "attacker.example"}
    task_id = w.submit("a fox", **forged)
    assert w.hook_of("a fox").startswith(f"{w.gateway.url}/mj/callback/{task_id}/")
    task = wait_status(w.client, task_id, "SUCCESS")  # the fake's callbacks reach the gateway itself
    assert task["imageUrl"].startswith(f"{w.gateway.url}/mj/image/{task_id}?sig=")
    assert "attacker" not in str(w.client.get(f"/mj/task/{task_id}/fetch", headers=forged).json())


def test_a_configured_public_url_is_the_only_base(world: Callable[..., World]) -> None:
    w = world(server={"public_url": "https://gw.example.com/"}, tasks={"poll_min_s": 0.05, "poll_max_s": 0.2})
    task_id = w.submit("a fox", Host="attacker.example")
    assert w.hook_of("a fox").startswith(f"https://gw.example.com/mj/callback/{task_id}/")
    task = wait_status(w.client, task_id, "SUCCESS")
    assert task["imageUrl"].startswith(f"https://gw.example.com/mj/image/{task_id}?sig=")


def test_a_callback_token_names_one_task_only(world: Callable[..., World]) -> None:
    w = world(hold=True)
    mine, theirs = w.submit("mine"), w.submit("theirs")
    for task_id in (mine, theirs):
        wait_for(lambda t=task_id: fetch(w.client, t)["progress"] == "75%")  # type: ignore[misc]
    their_hook = w.hook_of("theirs")
    failure = {"id": w.upstream_id("mine"), "status": "FAILURE", "failReason": "forged", "progress": ""}
    polls = w.polls()
    assert httpx.post(their_hook, json=failure).status_code in (204, 400, 404)  # at most, "theirs" is polled
    w.settled(mine, polls)
    assert fetch(w.client, mine)["status"] == "IN_PROGRESS"
    swapped = f"{w.gateway.url}/mj/callback/{mine}/{their_hook.rsplit('/', 1)[1]}"
    assert httpx.post(swapped, json=failure).status_code == 404
    assert httpx.post(f"{w.gateway.url}/mj/callback/1/{their_hook.rsplit('/', 1)[1]}", json=failure).status_code == 404

    assert fetch(w.client, mine)["status"] == "IN_PROGRESS" and fetch(w.client, theirs)["status"] == "IN_PROGRESS"
    assert w.balance() == BALANCE - 2 * PRICE  # both still held, nothing refunded
    w.fake.release()
    assert wait_status(w.client, mine, "SUCCESS")["failReason"] is None
    assert w.entries(mine) == [("reserve", -PRICE), ("settle", 0)]


def test_a_forged_failure_is_checked_with_the_upstream_and_not_refunded(world: Callable[..., World]) -> None:
    w = world(hold=True)
    task_id = w.submit("a fox")
    wait_for(lambda: fetch(w.client, task_id)["progress"] == "75%")
    polls = w.polls()
    forged = {"id": w.upstream_id("a fox"), "status": "FAILURE", "failReason": "forged", "progress": ""}
    assert httpx.post(w.hook_of("a fox"), json=forged).status_code == 204
    w.settled(task_id, polls)
    task = fetch(w.client, task_id)
    assert task["status"] == "IN_PROGRESS" and task["failReason"] is None
    assert w.balance() == BALANCE - PRICE and w.entries(task_id) == [("reserve", -PRICE)]

    w.fake.release()  # the upstream finishes: its own callback, then the poll, settle the task once
    assert wait_status(w.client, task_id, "SUCCESS")["progress"] == "100%"
    assert w.entries(task_id) == [("reserve", -PRICE), ("settle", 0)]
    assert w.balance() == BALANCE - PRICE
    assert_ledger_balanced(w.gateway)


def test_a_forged_success_cannot_make_the_gateway_read_an_internal_service(
    world: Callable[..., World], internal: tuple[Internal, str]
) -> None:
    service, service_url = internal
    w = world(hold=True)
    task_id = w.submit("a fox")
    wait_for(lambda: fetch(w.client, task_id)["progress"] == "75%")
    polls = w.polls()
    forged = {"id": w.upstream_id("a fox"), "status": "SUCCESS", "progress": "100%", "imageUrl": service_url + "/admin"}
    assert httpx.post(w.hook_of("a fox"), json=forged).status_code == 204
    w.settled(task_id, polls)
    task = fetch(w.client, task_id)
    assert task["status"] == "IN_PROGRESS" and w.entries(task_id) == [("reserve", -PRICE)]
    assert httpx.get(task["imageUrl"]).headers["content-type"] == "image/png"  # the upstream's own preview

    w.fake.release()
    done = wait_status(w.client, task_id, "SUCCESS")
    image = httpx.get(done["imageUrl"])
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert image.headers["content-type"] == "image/png"
    assert image.headers["x-content-type-options"] == "nosniff"
    assert image.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert image.headers["content-disposition"] == f'inline; filename="{task_id}.png"'
    assert service.hits == []


def test_the_channels_own_files_need_the_allow_list_too(world: Callable[..., World]) -> None:
    w = world(outbound={"allow_networks": []}, tasks={"poll_min_s": 0.05, "poll_max_s": 0.2})
    task_id = w.submit("a fox")
    task = wait_status(w.client, task_id, "SUCCESS")
    refused = httpx.get(task["imageUrl"])
    assert refused.status_code == 502 and "not fetched" in refused.json()["description"]
    assert not any(r.path.startswith("/attachments/") for r in w.fake.requests)
