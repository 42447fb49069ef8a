"""The ``replicate`` channel's adapter against the fake Replicate served for real: creates by version,
model path and deployment (``Prefer``/``Cancel-After`` forwarded), polls that follow predictions to
the end, cancel, upstream refusals in the error tree, and verification of the upstream's webhooks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from omnirelay.channels.model import Channel
from omnirelay.channels.options import checked_options, parse_option
from omnirelay.errors import AuthenticationFailed, InvalidRequest, PermissionDenied, UpstreamAuthFailed, UpstreamError
from omnirelay.providers.registry import KINDS, checked_base_url
from omnirelay.providers.replicate.adapter import ReplicateProvider
from omnirelay.providers.replicate.upstream import ReplicateCreate, ReplicatePrediction, ReplicateRejected
from omnirelay.tasks.family import TaskPoller
from omnirelay.tasks.model import Status, UpstreamState
from omnirelay.testing import FakeReplicate, FakeReplicateKnobs, serve_in_thread
from omnirelay.webhooks.signing import signed_headers
from replicate_fake_support import Inbox, inbox

TOKEN = "r8_upstream"
FLUX = ReplicateCreate("model", "black-forest-labs/flux-schnell", {"input": {"prompt": "a red fox", "num_outputs": 2}})


@pytest.fixture
def served() -> Iterator[tuple[FakeReplicate, str]]:
    fake = FakeReplicate(FakeReplicateKnobs(api_token=TOKEN, start_s=0.05, run_s=0.15, min_cancel_after_s=0.1))
    with serve_in_thread(fake.app) as url:
        yield fake, url


@pytest.fixture
async def provider() -> AsyncIterator[ReplicateProvider]:
    async with aiohttp.ClientSession() as session:
        yield ReplicateProvider(session, connect_timeout_s=5, read_timeout_s=30)


@pytest.fixture
def hooks() -> Iterator[Inbox]:
    with inbox() as box:
        yield box


def channel(url: str, *, secret: str = TOKEN, **options: Any) -> Channel:
    return Channel(
        id=7,
        name="replicate-1",
        type="replicate",
        base_url=checked_base_url("replicate", url + "/v1"),
        secrets=(secret,),
        models=frozenset({"black-forest-labs/flux-schnell"}),
        model_map={},
        priority=0,
        weight=1,
        groups=frozenset({"default"}),
        timeout_s=None,
        enabled=True,
        auto_disabled=False,
        disabled_reason=None,
        options=options,
    )


async def follow(provider: ReplicateProvider, ch: Channel, upstream_id: str) -> list[UpstreamState]:
    """Poll until the prediction ends; every state seen, in order."""
    seen: list[UpstreamState] = []
    for _ in range(500):
        state = (await provider.poll(ch, [upstream_id])).get(upstream_id)
        if state is not None:
            seen.append(state)
            if state.status in (Status.SUCCESS, Status.FAILURE, Status.CANCEL):
                return seen
        await asyncio.sleep(0.01)
    raise AssertionError(f"prediction {upstream_id} did not end: {seen[-1:]}")


def test_the_channel_type_is_registered_and_polls() -> None:
    assert checked_base_url("replicate", "https://api.replicate.com/v1/") == "https://api.replicate.com"
    assert checked_base_url("replicate", "https://gw.example/replicate/v1") == "https://gw.example/replicate"
    assert checked_options("replicate", {"webhook_secret": "whsec_abc"}) == {"webhook_secret": "whsec_abc"}
    with pytest.raises(InvalidRequest, match="webhook_secret"):
        checked_options("openai", {"webhook_secret": "whsec_abc"})
    with pytest.raises(InvalidRequest, match="non-empty string"):
        checked_options("replicate", {"webhook_secret": ""})
    assert parse_option("webhook_secret=whsec_AbC=") == ("webhook_secret", "whsec_AbC=")
    assert "replicate" in KINDS


async def test_create_by_model_then_poll_to_success(
    served: tuple[FakeReplicate, str], provider: ReplicateProvider
) -> None:
    assert isinstance(provider, TaskPoller)
    ch = channel(served[1])
    created = await provider.create(ch, FLUX)
    assert created.state.status == Status.SUBMITTED and len(created.upstream_id) == 26
    seen = await follow(provider, ch, created.upstream_id)
    assert Status.IN_PROGRESS in [s.status for s in seen]
    final = seen[-1]
    assert final.status == Status.SUCCESS and final.start_time is not None and final.finish_time is not None
    outputs = final.result["prediction"]["output"]
    assert len(outputs) == 2 and all(url.startswith(served[1] + "/files/") for url in outputs)
    again = await provider.get(ch, created.upstream_id)
    assert again is not None and again.predict_time is not None and again.predict_time > 0


async def test_create_by_version_forwards_prefer_wait_and_drops_the_clients_webhook(
    served: tuple[FakeReplicate, str], provider: ReplicateProvider
) -> None:
    fake, url = served
    body = {"version": "stability-ai/sdxl:7762fd07" + "0" * 56, "input": {"prompt": "x"}, "webhook": "https://c.test/h"}
    created = await provider.create(channel(url), ReplicateCreate("version", body["version"], body, wait_s=10))
    assert created.status == "succeeded" and created.state.status == Status.SUCCESS
    sent = [r for r in fake.requests if r.path == "/v1/predictions"][-1]
    assert sent.headers["prefer"] == "wait=10" and sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.json == {"version": body["version"], "input": {"prompt": "x"}}
    assert "webhook" not in fake.predictions[created.upstream_id]


async def test_create_by_deployment(served: tuple[FakeReplicate, str], provider: ReplicateProvider) -> None:
    fake, url = served
    created = await provider.create(channel(url), ReplicateCreate("deployment", "acme/painter", {"input": {"p": 1}}))
    assert fake.predictions[created.upstream_id]["deployment"] == "acme/painter"
    assert fake.requests[-1].path == "/v1/deployments/acme/painter/predictions"


async def test_cancel_after_is_forwarded_and_an_abort_reads_as_cancel(
    served: tuple[FakeReplicate, str], provider: ReplicateProvider
) -> None:
    fake, url = served
    fake.knobs.start_s = 5.0
    ch = channel(url)
    created = await provider.create(
        ch, ReplicateCreate("model", "minimax/video-01", {"input": {"prompt": "x"}}, cancel_after="0.2s")
    )
    assert fake.requests[-1].headers["cancel-after"] == "0.2s"
    final = (await follow(provider, ch, created.upstream_id))[-1]
    assert final.status == Status.CANCEL and final.result["prediction"]["status"] == "aborted"
    assert "Cancel-After" in (final.fail_reason or "")


async def test_cancel_a_running_prediction(served: tuple[FakeReplicate, str], provider: ReplicateProvider) -> None:
    fake, url = served
    fake.knobs.hold = True
    ch = channel(url)
    created = await provider.create(ch, FLUX)
    canceled = await provider.cancel(ch, created.upstream_id)
    assert canceled.status == "canceled" and canceled.state.status == Status.CANCEL


async def test_unknown_predictions_are_left_alone(
    served: tuple[FakeReplicate, str], provider: ReplicateProvider
) -> None:
    ch = channel(served[1])
    created = await provider.create(ch, FLUX)
    assert await provider.get(ch, "nosuchprediction") is None
    assert set(await provider.poll(ch, ["nosuchprediction", created.upstream_id])) == {created.upstream_id}


async def test_upstream_refusals_land_in_the_error_tree(
    served: tuple[FakeReplicate, str], provider: ReplicateProvider
) -> None:
    fake, url = served
    with pytest.raises(UpstreamAuthFailed):
        await provider.create(channel(url, secret="r8_wrong"), FLUX)
    missing = ReplicateCreate("model", "black-forest-labs/flux-1.1-pro-ultra", {"input": {}})
    with pytest.raises(ReplicateRejected) as rejected:
        await provider.create(channel(url), missing)
    assert rejected.value.status_code == 422 and rejected.value.param == "input"
    assert rejected.value.problem["invalid_fields"][0]["description"] == "prompt is required"
    fake.knobs.queue_full = True
    with pytest.raises(UpstreamError) as throttled:
        await provider.create(channel(url), FLUX)
    assert throttled.value.code == "upstream_429" and not isinstance(throttled.value, ReplicateRejected)
    fake.knobs.queue_full, fake.knobs.out_of_credit = False, True
    with pytest.raises(UpstreamError) as broke:
        await provider.create(channel(url), FLUX)
    assert broke.value.code == "upstream_no_credits"


async def test_a_failed_prediction_carries_the_upstreams_error(
    served: tuple[FakeReplicate, str], provider: ReplicateProvider
) -> None:
    fake, url = served
    fake.knobs.fail_next = 1
    ch = channel(url)
    created = await provider.create(ch, FLUX)
    final = (await follow(provider, ch, created.upstream_id))[-1]
    assert final.status == Status.FAILURE and final.fail_reason == fake.knobs.fail_reason


async def test_upstream_webhooks_verify_under_the_channels_secret(
    served: tuple[FakeReplicate, str], provider: ReplicateProvider, hooks: Inbox
) -> None:
    plain = channel(served[1])
    secret = await provider.webhook_secret(plain)
    ch = channel(served[1], webhook_secret=secret)
    create = ReplicateCreate("model", FLUX.target, FLUX.body, upstream_webhook=hooks.url, upstream_events=["completed"])
    created = await provider.create(ch, create)
    received = (await asyncio.to_thread(hooks.wait_for, lambda r: len(r) >= 1))[0]
    verified = provider.verify_webhook(ch, received.headers, received.body)
    assert isinstance(verified, ReplicatePrediction)
    assert verified.upstream_id == created.upstream_id and verified.state.status == Status.SUCCESS
    with pytest.raises(AuthenticationFailed):
        provider.verify_webhook(ch, received.headers, received.body.replace(b"succeeded", b"failed"))
    with pytest.raises(PermissionDenied):
        provider.verify_webhook(plain, received.headers, received.body)
    stale = signed_headers(secret, "msg_old", received.body, at=datetime.now(UTC) - timedelta(minutes=10))
    with pytest.raises(AuthenticationFailed):
        provider.verify_webhook(ch, stale, received.body)
    with pytest.raises(InvalidRequest):
        provider.verify_webhook(ch, signed_headers(secret, "msg_x", b'{"hello": 1}'), b'{"hello": 1}')


async def test_a_gateway_that_re_exposes_replicate_under_a_prefix(
    served: tuple[FakeReplicate, str], provider: ReplicateProvider
) -> None:
    ch = channel(served[1] + "/replicate")
    assert ch.base_url == served[1] + "/replicate"
    created = await provider.create(ch, FLUX)
    assert served[0].requests[-1].path == "/replicate/v1/models/black-forest-labs/flux-schnell/predictions"
    assert (await follow(provider, ch, created.upstream_id))[-1].status == Status.SUCCESS
    assert await provider.poll(ch, [""]) == {}
