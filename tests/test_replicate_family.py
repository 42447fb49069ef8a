"""The Replicate predictions API (spec §1) through the gateway, with the official ``replicate`` client,
in front of the fake Replicate: create by version and by model path, wait, cancel, list, webhooks,
the known models' input checks, bad input, and the money."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
import replicate
from replicate.exceptions import ReplicateError
from replicate.webhook import Webhooks, WebhookSigningSecret

from conftest import USER_KEY, Gateway, assert_ledger_balanced, funded, sqlite_only
from mj_support import wait_for
from omnirelay.testing import FakeReplicate, FakeReplicateKnobs, serve_in_thread
from replicate_fake_support import inbox

UPSTREAM_KEY = "r8_upstream_test"
OTHER_KEY = "sk-user-other-0000000000000000000000000000000000000000"
BALANCE = 100_000_000
PER_PREDICTION = 30_000
PER_SECOND = 1_000
DATA = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="  # noqa: E501
SD = "stability-ai/stable-diffusion"
SD_VERSION = "ac732df8" + "0" * 56
FLUX = "black-forest-labs/flux-schnell"

VERSIONS = {
    SD: "ac732df8",
    "stability-ai/sdxl": "7762fd07",
    "stability-ai/stable-diffusion-inpainting": "95b72231",
    "stability-ai/stable-diffusion-img2img": "15a3689e",
    "lucataco/flux-schnell-lora": "2a6b576a",
    "lucataco/flux-dev-lora": "09149576",
    "lucataco/animate-diff": "beecf59c",
    "andreasjansson/stable-diffusion-animation": "ca1f5e30",
    "sujaykhandekar/object-removal": "153b0087",
    "cjwbw/rembg": "fb8af171",
}
"""Version-pinned models (created by version, billed per second); every other model is official."""

MODELS: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {
    SD: ({"prompt": "a fox", "width": 512, "height": 512}, {"prompt": "a fox", "width": 500}, "input.width"),
    "stability-ai/sdxl": (
        {"prompt": "a fox", "refine": "expert_ensemble_refiner"},
        {"prompt": "a fox", "num_outputs": 5},
        "input.num_outputs",
    ),
    "stability-ai/stable-diffusion-inpainting": (
        {"prompt": "a fox", "image": DATA, "mask": DATA},
        {"prompt": "a fox", "image": DATA},
        "input.mask",
    ),
    "stability-ai/stable-diffusion-img2img": ({"image": DATA}, {"prompt": "a fox"}, "input.image"),
    FLUX: (
        {"prompt": "a fox", "aspect_ratio": "16:9"},
        {"prompt": "a fox", "aspect_ratio": "7:3"},
        "input.aspect_ratio",
    ),
    "black-forest-labs/flux-dev": (
        {"prompt": "a fox", "guidance": 3.5},
        {"prompt": "a fox", "guidance": 11},
        "input.guidance",
    ),
    "black-forest-labs/flux-pro": ({"prompt": "a fox", "steps": 25}, {"prompt": "a fox", "steps": 0}, "input.steps"),
    "black-forest-labs/flux-1.1-pro": (
        {"prompt": "a fox", "aspect_ratio": "custom", "width": 1024, "height": 768},
        {"prompt": "a fox", "aspect_ratio": "custom", "width": 1000},
        "input.width",
    ),
    "black-forest-labs/flux-1.1-pro-ultra": (
        {"prompt": "a fox", "raw": True},
        {"prompt": "a fox", "output_format": "webp"},
        "input.output_format",
    ),
    "lucataco/flux-schnell-lora": (
        {"prompt": "a fox", "hf_lora": "alvdansen/frosting_lane_flux"},
        {"prompt": "a fox", "num_inference_steps": 8},
        "input.num_inference_steps",
    ),
    "lucataco/flux-dev-lora": ({"prompt": "a fox", "lora_scale": 0.8}, {"lora_scale": 0.8}, "input.prompt"),
    "lucataco/animate-diff": (
        {"prompt": "a fox", "motion_module": "mm_sd_v15_v2"},
        {"prompt": "a fox", "path": "other.safetensors"},
        "input.path",
    ),
    "andreasjansson/stable-diffusion-animation": (
        {"prompt_start": "a fox", "prompt_end": "a wolf", "output_format": "mp4"},
        {"prompt_start": "a fox"},
        "input.prompt_end",
    ),
    "sujaykhandekar/object-removal": (
        {"image_path": DATA, "objects_to_remove": "person"},
        {"image_path": "not a file"},
        "input.image_path",
    ),
    "cjwbw/rembg": ({"image": DATA}, {"image": 42}, "input.image"),
    "minimax/video-01": (
        {"prompt": "a fox", "prompt_optimizer": True},
        {"prompt": "a fox", "prompt_optimizer": "yes"},
        "input.prompt_optimizer",
    ),
    "minimax/video-01-live": (
        {"prompt": "a fox", "first_frame_image": DATA},
        {"prompt": "a fox"},
        "input.first_frame_image",
    ),
    "recraft-ai/recraft-v3": ({"prompt": "a fox", "size": "1024x1024"}, {"size": "1024x1024"}, "input.prompt"),
    "recraft-ai/recraft-v3-svg": (
        {"prompt": "a fox", "style": "line_art"},
        {"prompt": "a fox", "style": "realistic_image"},
        "input.style",
    ),
    "ideogram-ai/ideogram-v2-turbo": (
        {"prompt": "a fox", "style_type": "Anime"},
        {"prompt": "a fox", "magic_prompt_option": "Maybe"},
        "input.magic_prompt_option",
    ),
}
"""Each model of spec §1.5: an input it accepts, one it refuses, and the field the refusal names."""
EXTRA_MODELS = ("acme/custom-model",)
"""A model the gateway does not know: its input passes through unchecked."""


def price(model: str) -> int:
    return PER_SECOND if model in VERSIONS else PER_PREDICTION


@pytest.fixture
def fake_replicate(stack: ExitStack) -> Callable[..., tuple[FakeReplicate, str]]:
    def make(**knobs: Any) -> tuple[FakeReplicate, str]:
        fake = FakeReplicate(FakeReplicateKnobs(**{"start_s": 0.05, "run_s": 0.2, "api_token": UPSTREAM_KEY, **knobs}))
        return fake, stack.enter_context(serve_in_thread(fake.app))

    return make


def start(make_gateway: Callable[..., Gateway], url: str, **extra: Any) -> Gateway:
    models = [*MODELS, *EXTRA_MODELS]
    settings: dict[str, Any] = {
        "accounts": [{"name": "acme", "balance": BALANCE}, {"name": "other", "balance": BALANCE}],
        "keys": [
            {"account": "acme", "name": "main", "key": USER_KEY},
            {"account": "other", "name": "other", "key": OTHER_KEY},
        ],
        "channels": [{"name": "r8", "type": "replicate", "base_url": url, "secrets": [UPSTREAM_KEY], "models": models}],
        "prices": [{"model": m, "mode": "per_call", "per_call": price(m)} for m in models],
        "tasks": {"poll_min_s": 0.05, "poll_max_s": 0.2, "sweep_interval_s": 0.2},
        "webhooks": {"allow_networks": ["127.0.0.1/32"], "retry_schedule_s": [0.2, 0.2, 0.2]},
        "outbound": {"allow_networks": ["127.0.0.1/32"]},  # the fake serves its files on loopback
    }
    settings.update(extra)
    return make_gateway(**settings)


def official(gateway: Gateway, key: str = USER_KEY, prefix: str = "") -> replicate.Client:
    client = replicate.Client(api_token=key, base_url=gateway.url + prefix)
    client.poll_interval = 0.05
    return client


def raw(stack: ExitStack, gateway: Gateway, key: str = USER_KEY) -> httpx.Client:
    return stack.enter_context(
        httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    )


def balance(gateway: Gateway, account: str = "acme") -> int:
    accounts = gateway.admin_json("GET", "/api/admin/accounts")["data"]
    return int(next(a["balance"] for a in accounts if a["name"] == account))


def settled(gateway: Gateway, expected: int, account: str = "acme") -> None:
    """The account's balance reaches ``expected`` (settles and refunds land as the engine moves)."""
    wait_for(lambda: balance(gateway, account) == expected or None, timeout=10)


def creates(fake: FakeReplicate) -> list[Any]:
    return [r for r in fake.requests if r.method == "POST" and r.path.endswith("/predictions")]


def test_run_by_model_path_returns_gateway_files_and_bills_per_prediction(
    make_gateway: Callable[..., Gateway], fake_replicate: Callable[..., tuple[FakeReplicate, str]]
) -> None:
    fake, url = fake_replicate()
    gateway = start(make_gateway, url)
    output = official(gateway).run(FLUX, input={"prompt": "a red fox", "num_outputs": 2})
    links = [str(getattr(item, "url", item)) for item in output]  # FileOutput on https, plain text on http
    assert len(links) == 2
    for link in links:
        assert link.startswith(f"{gateway.url}/replicate/files/"), link
        assert "replicate.delivery" not in link and url not in link
        file = httpx.get(link)
        assert file.status_code == 200 and file.headers["content-type"].startswith("image/")
        assert file.content[:4] in (b"\x89PNG", b"RIFF", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xdb")
    forged = httpx.get(links[0].replace("sig=", "sig=0"))
    assert forged.status_code == 404
    settled(gateway, BALANCE - PER_PREDICTION)
    assert_ledger_balanced(gateway)


def test_create_by_version_polls_to_success_and_bills_seconds_of_predict_time(
    make_gateway: Callable[..., Gateway], fake_replicate: Callable[..., tuple[FakeReplicate, str]]
) -> None:
    _, url = fake_replicate()
    gateway = start(make_gateway, url)
    client = official(gateway)
    prediction = client.predictions.create(version=SD_VERSION, input={"prompt": "a fox"})
    assert len(prediction.id) == 26 and prediction.id.isalnum() and prediction.id.islower()
    assert prediction.status == "starting"
    assert prediction.urls["get"] == f"{gateway.url}/v1/predictions/{prediction.id}"
    assert prediction.urls["cancel"] == f"{gateway.url}/v1/predictions/{prediction.id}/cancel"
    prediction.wait()
    assert prediction.status == "succeeded", prediction.error
    assert prediction.model == SD and prediction.version == SD_VERSION
    assert all(u.startswith(f"{gateway.url}/replicate/files/{prediction.id}/") for u in prediction.output)
    seconds = prediction.metrics["predict_time"]
    settled(gateway, BALANCE - math.ceil(seconds * PER_SECOND))
    assert_ledger_balanced(gateway)


def test_prefer_wait_answers_the_finished_prediction_with_location(
    stack: ExitStack, make_gateway: Callable[..., Gateway], fake_replicate: Callable[..., tuple[FakeReplicate, str]]
) -> None:
    _, url = fake_replicate()
    gateway = start(make_gateway, url)
    api = raw(stack, gateway)
    answer = api.post(
        "/replicate/v1/models/black-forest-labs/flux-schnell/predictions",
        json={"input": {"prompt": "a red fox"}},
        headers={"Prefer": "wait=10"},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "succeeded" and body["output"]
    assert answer.headers["location"] == body["urls"]["get"] == f"{gateway.url}/replicate/v1/predictions/{body['id']}"
    assert body["metrics"]["predict_time"] >= 0


def test_prefer_wait_answers_the_running_prediction_when_time_is_up(
    stack: ExitStack, make_gateway: Callable[..., Gateway], fake_replicate: Callable[..., tuple[FakeReplicate, str]]
) -> None:
    fake, url = fake_replicate(hold=True)
    gateway = start(make_gateway, url)
    began = time.monotonic()
    answer = raw(stack, gateway).post(
        f"/v1/models/{FLUX}/predictions", json={"input": {"prompt": "a fox"}}, headers={"Prefer": "wait=1"}
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] in ("starting", "processing")
    assert 0.9 <= time.monotonic() - began < 5
    fake.release()


def test_cancel_stops_the_upstream_and_refunds(
    make_gateway: Callable[..., Gateway], fake_replicate: Callable[..., tuple[FakeReplicate, str]]
) -> None:
    fake, url = fake_replicate(hold=True)
    gateway = start(make_gateway, url)
    client = official(gateway)
    prediction = client.models.predictions.create(model=FLUX, input={"prompt": "a fox"})
    settled(gateway, BALANCE - PER_PREDICTION)
    canceled = client.predictions.cancel(prediction.id)
    assert canceled.status == "canceled" and canceled.output is None
    wait_for(lambda: any(r.path.endswith("/cancel") for r in fake.requests) or None, timeout=5)
    assert client.predictions.get(prediction.id).status == "canceled"
    settled(gateway, BALANCE)
    assert_ledger_balanced(gateway)


def test_list_shows_only_the_callers_predictions_newest_first(
    make_gateway: Callable[..., Gateway], fake_replicate: Callable[..., tuple[FakeReplicate, str]]
) -> None:
    _, url = fake_replicate()
    gateway = start(make_gateway, url)
    mine = [official(gateway).models.predictions.create(model=FLUX, input={"prompt": f"fox {n}"}).id for n in range(3)]
    theirs = official(gateway, OTHER_KEY).models.predictions.create(model=FLUX, input={"prompt": "wolf"}).id
    page = official(gateway).predictions.list()
    assert [p.id for p in page.results] == mine[::-1]
    assert theirs not in {p.id for p in page.results}
    assert page.next is None


@sqlite_only
def test_list_pages_by_cursor(
    stack: ExitStack, make_gateway: Callable[..., Gateway], fake_replicate: Callable[..., tuple[FakeReplicate, str]]
) -> None:
    fake, url = fake_replicate(hold=True)
    gateway = start(make_gateway, url)
    api = raw(stack, gateway)
    made = [api.post(f"/replicate/v1/models/{FLUX}/predictions", json={"input": {"prompt": "a"}}) for _ in range(101)]
    assert all(r.status_code == 201 for r in made)
    client = official(gateway, prefix="/replicate")
    first = client.predictions.list()
    assert len(first.results) == 100 and first.next is not None
    assert first.next.startswith(f"{gateway.url}/replicate/v1/predictions?cursor=")
    second = client.predictions.list(cursor=first.next)
    assert [p.id for p in second.results] == [made[0].json()["id"]] and second.next is None
    since = made[99].json()["created_at"]
    recent = api.get("/v1/predictions", params={"created_after": since}).json()
    assert [p["id"] for p in recent["results"]] == [made[100].json()["id"]]
    assert api.get("/v1/predictions", params={"created_before": "yesterday"}).status_code == 400
    fake.release()


def test_webhooks_are_filtered_and_verify_with_the_clients_helper(
    make_gateway: Callable[..., Gateway], fake_replicate: Callable[..., tuple[FakeReplicate, str]]
) -> None:
    _, url = fake_replicate(run_s=1.0)  # running long enough for the gateway to see it start
    gateway = start(make_gateway, url)
    client = official(gateway)
    with inbox() as box:
        prediction = client.models.predictions.create(
            model=FLUX, input={"prompt": "a fox"}, webhook=box.url, webhook_events_filter=["start", "completed"]
        )
        received = box.wait_for(lambda got: any(r.prediction["status"] == "succeeded" for r in got))
    secret = client.webhooks.default.secret()
    assert secret.key.startswith("whsec_")
    for delivery in received:
        Webhooks.validate(headers=delivery.headers, body=delivery.body.decode(), secret=secret)
        assert delivery.prediction["id"] == prediction.id
    assert [r.prediction["status"] for r in received] == ["processing", "succeeded"]
    forged = WebhookSigningSecret(key="whsec_" + "A" * 43 + "=")
    with pytest.raises(replicate.webhook.InvalidSignatureError):
        Webhooks.validate(headers=received[-1].headers, body=received[-1].body.decode(), secret=forged)


def test_only_the_terminal_webhook_is_retried(
    make_gateway: Callable[..., Gateway], fake_replicate: Callable[..., tuple[FakeReplicate, str]]
) -> None:
    """Spec §1.2: a refused ``start`` is never sent again, and the task's later events are not held
    behind it; a refused ``completed`` is retried on the schedule until the receiver takes it."""
    _, url = fake_replicate(run_s=1.0)
    gateway = start(make_gateway, url)
    client = official(gateway)
    with inbox() as box:
        box.answers = [503, 503, 503]  # the start, then the first two tries of the completion
        client.models.predictions.create(
            model=FLUX, input={"prompt": "a fox"}, webhook=box.url, webhook_events_filter=["start", "completed"]
        )
        received = box.wait_for(lambda got: len(got) >= 4)
        time.sleep(0.6)  # two more retry delays: nothing else may come
    statuses = [r.prediction["status"] for r in received]
    assert statuses == ["processing", "succeeded", "succeeded", "succeeded"], statuses
    assert len({r.headers["webhook-id"] for r in received[1:]}) == 1  # retries of one message


def test_run_by_model_and_version_and_signed_upstream_webhooks_move_it(
    make_gateway: Callable[..., Gateway], fake_replicate: Callable[..., tuple[FakeReplicate, str]]
) -> None:
    fake, url = fake_replicate()
    channel = {
        "name": "r8",
        "type": "replicate",
        "base_url": url,
        "secrets": [UPSTREAM_KEY],
        "models": [SD],
        "options": {"webhook_secret": fake.knobs.webhook_secret},
    }
    gateway = start(make_gateway, url, channels=[channel], tasks={"poll_min_s": 60, "poll_max_s": 60})
    output = official(gateway).run(f"{SD}:{SD_VERSION}", input={"prompt": "a fox"}, wait=False)
    assert all(str(link).startswith(f"{gateway.url}/replicate/files/") for link in output)
    assert fake.webhook_deliveries  # the upstream told the gateway; a poll every 60 s could not have


@sqlite_only
@pytest.mark.parametrize("model", list(MODELS))
def test_known_model_input_is_checked_at_the_edge(
    stack: ExitStack,
    make_gateway: Callable[..., Gateway],
    fake_replicate: Callable[..., tuple[FakeReplicate, str]],
    model: str,
) -> None:
    fake, url = fake_replicate(hold=True)
    gateway = start(make_gateway, url)
    api = raw(stack, gateway)
    good, bad, field = MODELS[model]

    def create(given: dict[str, Any]) -> httpx.Response:
        if model in VERSIONS:
            return api.post("/v1/predictions", json={"version": VERSIONS[model] + "0" * 56, "input": given})
        return api.post(f"/v1/models/{model}/predictions", json={"input": given})

    refused = create(bad)
    assert refused.status_code == 422, refused.text
    assert field in {f["field"] for f in refused.json()["invalid_fields"]}
    assert field in refused.json()["detail"]
    assert creates(fake) == []
    accepted = create(good)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["model"] == model
    assert len(creates(fake)) == 1
    fake.release()


@sqlite_only
def test_unknown_models_pass_through_and_foreign_ids_are_not_found(
    stack: ExitStack, make_gateway: Callable[..., Gateway], fake_replicate: Callable[..., tuple[FakeReplicate, str]]
) -> None:
    _, url = fake_replicate()
    gateway = start(make_gateway, url)
    mine = official(gateway).predictions.create(version="acme/custom-model", input={"anything": [1, 2]}, wait=10)
    assert mine.status == "succeeded"
    other = official(gateway, OTHER_KEY)
    with pytest.raises(ReplicateError) as error:
        other.predictions.get(mine.id)
    assert error.value.status == 404 and error.value.detail
    with pytest.raises(ReplicateError) as error:
        other.predictions.cancel(mine.id)
    assert error.value.status == 404
    missing = raw(stack, gateway).get("/v1/predictions/" + "a" * 26)
    assert missing.status_code == 404 and missing.json()["status"] == 404


@sqlite_only
def test_background_removal_without_a_channel_says_why_the_local_provider_cannot_do_it(
    make_gateway: Callable[..., Gateway],
) -> None:
    """Issue #12: rembg is refused clearly offline (no permissive general-purpose segmentation model ships)."""
    gateway = make_gateway(**funded())  # only the built-in local channel
    with pytest.raises(ReplicateError) as error:
        official(gateway).models.predictions.create(model="cjwbw/rembg", input={"image": "https://example.com/a.png"})
    assert error.value.status == 404
    assert "cannot remove backgrounds offline" in str(error.value.detail) and "AGPL" in str(error.value.detail)


@sqlite_only
@pytest.mark.parametrize(
    ("header", "value"),
    [("Prefer", "wait=61"), ("Prefer", "sometimes"), ("Cancel-After", "3s"), ("Cancel-After", "soon")],
)
def test_malformed_headers_are_refused_naming_the_header(
    stack: ExitStack,
    make_gateway: Callable[..., Gateway],
    fake_replicate: Callable[..., tuple[FakeReplicate, str]],
    header: str,
    value: str,
) -> None:
    fake, url = fake_replicate()
    gateway = start(make_gateway, url)
    answer = raw(stack, gateway).post(
        f"/v1/models/{FLUX}/predictions", json={"input": {"prompt": "a fox"}}, headers={header: value}
    )
    assert answer.status_code == 400, answer.text
    assert header in answer.json()["detail"]
    assert creates(fake) == []
    assert balance(gateway) == BALANCE


@sqlite_only
def test_bad_bodies_are_refused_before_any_upstream_call(
    stack: ExitStack, make_gateway: Callable[..., Gateway], fake_replicate: Callable[..., tuple[FakeReplicate, str]]
) -> None:
    fake, url = fake_replicate()
    gateway = start(make_gateway, url, webhooks={"allow_networks": []}, tasks={"max_image_bytes": 1024})
    api = raw(stack, gateway)
    unknown = api.post(f"/v1/models/{FLUX}/predictions", json={"input": {"prompt": "a"}, "prompt": "a"})
    assert unknown.status_code == 422
    assert unknown.json()["invalid_fields"][0]["type"] == "additional_property_not_allowed"
    missing = api.post("/v1/predictions", json={"input": {"prompt": "a"}})
    assert missing.status_code == 422 and missing.json()["invalid_fields"][0]["field"] == "version"
    private = api.post(
        f"/v1/models/{FLUX}/predictions", json={"input": {"prompt": "a"}, "webhook": "http://127.0.0.1:9/hook"}
    )
    assert private.status_code == 400 and "refused" in private.json()["detail"]
    huge = "data:image/png;base64," + "A" * 4000
    too_big = api.post("/v1/predictions", json={"version": "cjwbw/rembg", "input": {"image": huge}})
    assert too_big.status_code == 413, too_big.text
    unauthenticated = httpx.post(f"{gateway.url}/v1/predictions", json={"version": SD_VERSION, "input": {}})
    assert unauthenticated.status_code == 401 and unauthenticated.json()["detail"]
    assert creates(fake) == []
    assert balance(gateway) == BALANCE


def test_upstream_failure_is_refunded_and_poor_accounts_get_402(
    stack: ExitStack, make_gateway: Callable[..., Gateway], fake_replicate: Callable[..., tuple[FakeReplicate, str]]
) -> None:
    fake, url = fake_replicate(fail_next=1)
    gateway = start(
        make_gateway, url, accounts=[{"name": "acme", "balance": BALANCE}, {"name": "other", "balance": 10}]
    )
    failed = official(gateway).predictions.create(version=FLUX, input={"prompt": "a fox"}, wait=10)
    assert failed.status == "failed" and failed.error
    settled(gateway, BALANCE)
    poor = raw(stack, gateway, OTHER_KEY).post(f"/v1/models/{FLUX}/predictions", json={"input": {"prompt": "a"}})
    assert poor.status_code == 402 and poor.json()["detail"]
    assert len(creates(fake)) == 1
    assert_ledger_balanced(gateway)


@sqlite_only
def test_cancel_after_cancels_a_running_prediction_at_its_deadline(
    stack: ExitStack, make_gateway: Callable[..., Gateway], fake_replicate: Callable[..., tuple[FakeReplicate, str]]
) -> None:
    _, url = fake_replicate(run_s=30)
    gateway = start(make_gateway, url)
    created = raw(stack, gateway).post(
        f"/v1/models/{FLUX}/predictions", json={"input": {"prompt": "a fox"}}, headers={"Cancel-After": "5s"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["deadline"]
    client = official(gateway)
    ended = wait_for(lambda: (p := client.predictions.get(created.json()["id"])).status == "canceled" and p, timeout=15)
    assert ended.completed_at
    settled(gateway, BALANCE)


def test_svg_outputs_are_relayed_sandboxed(
    make_gateway: Callable[..., Gateway], fake_replicate: Callable[..., tuple[FakeReplicate, str]]
) -> None:
    fake, url = fake_replicate()
    gateway = start(make_gateway, url)
    output = official(gateway).run("recraft-ai/recraft-v3-svg", input={"prompt": "a fox", "style": "line_art"})
    items = output if isinstance(output, list) else [output]
    link = str(getattr(items[0], "url", items[0]))
    assert link.startswith(f"{gateway.url}/replicate/files/"), link
    file = httpx.get(link)
    assert file.status_code == 200
    assert file.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in file.content
    assert "sandbox" in file.headers["content-security-policy"]
    assert file.headers["x-content-type-options"] == "nosniff"
