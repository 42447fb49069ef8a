"""The fake Replicate, driven by the official ``replicate`` client as a user of the real API would:
runs by version and by model path, ``Prefer: wait``, cancel, list pages, ``Cancel-After``, refusals
in problem-details form, real output files, and webhooks that verify with the client's own helper."""

from __future__ import annotations

import io
from collections.abc import Iterator

import av
import httpx
import pytest
import replicate
from PIL import Image
from replicate.exceptions import ReplicateError
from replicate.webhook import Webhooks, WebhookSigningSecret

from omnirelay.testing import FakeReplicate, FakeReplicateKnobs, serve_in_thread
from replicate_fake_support import Inbox, inbox

TOKEN = "r8_fake_token"
SDXL = "stability-ai/sdxl:7762fd07" + "0" * 56


@pytest.fixture
def served() -> Iterator[tuple[FakeReplicate, str]]:
    fake = FakeReplicate(FakeReplicateKnobs(api_token=TOKEN, start_s=0.05, run_s=0.1, webhook_throttle_s=0.2))
    with serve_in_thread(fake.app) as url:
        yield fake, url


@pytest.fixture
def client(served: tuple[FakeReplicate, str]) -> replicate.Client:
    client = replicate.Client(api_token=TOKEN, base_url=served[1])
    client.poll_interval = 0.02
    return client


@pytest.fixture
def hooks() -> Iterator[Inbox]:
    with inbox() as box:
        yield box


def test_run_by_model_path_returns_real_webp_images(client: replicate.Client) -> None:
    output = client.run("black-forest-labs/flux-schnell", input={"prompt": "a red fox", "num_outputs": 2})
    assert len(output) == 2
    images = [Image.open(io.BytesIO(httpx.get(item).content)) for item in output]
    assert [image.format for image in images] == ["WEBP", "WEBP"]


def test_run_by_version_with_owner_name_and_hash(client: replicate.Client, served: tuple[FakeReplicate, str]) -> None:
    output = client.run(SDXL, input={"prompt": "a lighthouse", "output_format": "png"})
    assert Image.open(io.BytesIO(httpx.get(output[0]).content)).format == "PNG"
    sent = [r for r in served[0].requests if r.path == "/v1/predictions" and r.method == "POST"]
    assert sent[-1].json["version"] == "7762fd07" + "0" * 56


def test_bare_version_hash_finds_the_pinned_model(client: replicate.Client) -> None:
    prediction = client.predictions.create(version="fb8af171" + "a" * 56, input={"image": "https://x.test/a.png"})
    assert prediction.model == "cjwbw/rembg"
    prediction.wait()
    assert prediction.status == "succeeded"
    cutout = Image.open(io.BytesIO(httpx.get(prediction.output).content))
    assert cutout.mode == "RGBA" and cutout.getpixel((0, 0))[3] == 0


def test_prefer_wait_answers_the_finished_prediction(
    client: replicate.Client, served: tuple[FakeReplicate, str]
) -> None:
    prediction = client.models.predictions.create(model="recraft-ai/recraft-v3-svg", input={"prompt": "a logo"}, wait=5)
    assert prediction.status == "succeeded"
    assert prediction.metrics is not None and prediction.metrics["predict_time"] > 0
    assert httpx.get(prediction.output).content.startswith(b"<svg")
    assert served[0].requests[-2].headers["prefer"] == "wait=5"


def test_prefer_wait_shorter_than_the_run_answers_it_unfinished(served: tuple[FakeReplicate, str]) -> None:
    fake, url = served
    fake.knobs.run_s = 3.0
    answer = httpx.post(
        f"{url}/v1/models/minimax/video-01/predictions",
        json={"input": {"prompt": "waves"}},
        headers={"Authorization": f"Bearer {TOKEN}", "Prefer": "wait=1"},
        timeout=10,
    )
    assert answer.status_code == 202
    assert answer.json()["status"] == "starting"  # what Replicate answers when the wait runs out
    assert answer.headers["location"] == answer.json()["urls"]["get"]


def test_video_model_outputs_a_playable_mp4(client: replicate.Client) -> None:
    output = client.run("minimax/video-01", input={"prompt": "waves"})
    with av.open(io.BytesIO(httpx.get(output).content)) as container:
        frames = list(container.decode(video=0))
    assert len(frames) >= 2


def test_animation_model_outputs_a_gif(client: replicate.Client) -> None:
    version = "andreasjansson/stable-diffusion-animation:ca1f5e30" + "1" * 56
    output = client.run(version, input={"prompt_start": "a seed", "prompt_end": "a tree"})
    gif = Image.open(io.BytesIO(httpx.get(output[-1]).content))
    assert gif.format == "GIF" and gif.n_frames > 1


def test_cancel_a_running_prediction(client: replicate.Client, served: tuple[FakeReplicate, str]) -> None:
    served[0].knobs.hold = True
    prediction = client.predictions.create(model="black-forest-labs/flux-dev", input={"prompt": "slow"})
    prediction.cancel()
    prediction.reload()
    assert prediction.status == "canceled"
    assert prediction.completed_at is not None


def test_list_pages_newest_first(client: replicate.Client, served: tuple[FakeReplicate, str]) -> None:
    served[0].knobs.page_size = 2
    made = [
        client.predictions.create(model="black-forest-labs/flux-schnell", input={"prompt": f"p{i}"}) for i in range(3)
    ]
    first = client.predictions.list()
    assert [p.id for p in first.results] == [made[2].id, made[1].id]
    assert first.previous is None and first.next is not None
    second = client.predictions.list(first.next)
    assert [p.id for p in second.results] == [made[0].id]
    assert second.next is None


def test_cancel_after_aborts_a_prediction_that_never_started(served: tuple[FakeReplicate, str]) -> None:
    fake, url = served
    fake.knobs.min_cancel_after_s, fake.knobs.start_s = 0.1, 5.0
    headers = {"Authorization": f"Bearer {TOKEN}", "Cancel-After": "200ms", "Prefer": "wait=3"}
    answer = httpx.post(f"{url}/v1/predictions", json={"version": SDXL, "input": {"prompt": "x"}}, headers=headers)
    assert answer.json()["status"] == "aborted"
    assert answer.json()["deadline"] is not None


def test_cancel_after_cancels_a_running_prediction(served: tuple[FakeReplicate, str]) -> None:
    fake, url = served
    fake.knobs.min_cancel_after_s, fake.knobs.run_s = 0.1, 5.0
    headers = {"Authorization": f"Bearer {TOKEN}", "Cancel-After": "0.4s", "Prefer": "wait=3"}
    answer = httpx.post(f"{url}/v1/predictions", json={"version": SDXL, "input": {"prompt": "x"}}, headers=headers)
    assert answer.json()["status"] == "canceled"
    assert answer.json()["started_at"] is not None


@pytest.mark.parametrize(
    ("body", "field", "kind"),
    [
        ({"version": SDXL, "input": {"prompt": "x"}, "extra": 1}, "", "additional_property_not_allowed"),
        ({"input": {"prompt": "x"}}, "", "required"),
        ({"version": SDXL, "input": {}}, "input", "required"),
        ({"version": "not a version", "input": {"prompt": "x"}}, "version", "format"),
    ],
)
def test_invalid_bodies_get_422_with_invalid_fields(
    served: tuple[FakeReplicate, str], body: dict[str, object], field: str, kind: str
) -> None:
    answer = httpx.post(f"{served[1]}/v1/predictions", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["status"] == 422 and problem["detail"]
    assert {"field": field, "type": kind}.items() <= problem["invalid_fields"][0].items()
    assert not served[0].predictions


def test_account_refusals_are_problem_details(served: tuple[FakeReplicate, str], client: replicate.Client) -> None:
    fake, url = served
    fake.knobs.queue_full = True
    throttled = httpx.post(
        f"{url}/v1/models/a/b/predictions", json={"input": {}}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "1"
    assert throttled.json()["detail"].startswith("Request was throttled")
    fake.knobs.queue_full, fake.knobs.out_of_credit = False, True
    with pytest.raises(ReplicateError) as refused:
        client.predictions.create(model="a/b", input={})
    assert refused.value.status == 402
    with pytest.raises(ReplicateError) as unknown:
        client.predictions.get("doesnotexist")
    assert unknown.value.status == 404


def test_a_wrong_token_is_refused(served: tuple[FakeReplicate, str]) -> None:
    with pytest.raises(ReplicateError) as refused:
        replicate.Client(api_token="r8_wrong", base_url=served[1]).predictions.list()
    assert refused.value.status == 401


def test_deployment_predictions_name_their_deployment(
    client: replicate.Client, served: tuple[FakeReplicate, str]
) -> None:
    served[0].knobs.deployments["acme/painter"] = "black-forest-labs/flux-schnell"
    prediction = client.deployments.predictions.create("acme/painter", input={"prompt": "x"})
    assert prediction.model == "black-forest-labs/flux-schnell"
    assert served[0].predictions[prediction.id]["deployment"] == "acme/painter"


def test_webhooks_verify_with_the_clients_helper(client: replicate.Client, hooks: Inbox) -> None:
    filter_ = ["start", "completed"]
    prediction = client.predictions.create(
        SDXL, input={"prompt": "x"}, webhook=hooks.url, webhook_events_filter=filter_
    )
    got = hooks.wait_for(lambda r: any(x.prediction["status"] == "succeeded" for x in r))
    assert [r.prediction["status"] for r in got] == ["processing", "succeeded"]
    secret = client.webhooks.default.secret()
    for delivery in got:
        Webhooks.validate(headers=delivery.headers, body=delivery.body.decode(), secret=secret, tolerance=60)
        assert delivery.prediction["id"] == prediction.id
    with pytest.raises(replicate.webhook.InvalidSignatureError):
        Webhooks.validate(headers=got[0].headers, body=got[0].body.decode() + " ", secret=secret)
    with pytest.raises(replicate.webhook.InvalidSignatureError):
        Webhooks.validate(
            headers=got[0].headers, body=got[0].body.decode(), secret=WebhookSigningSecret(key="whsec_AAAA")
        )


def test_intermediate_webhooks_are_throttled(
    client: replicate.Client, served: tuple[FakeReplicate, str], hooks: Inbox
) -> None:
    served[0].knobs.run_s = 0.6
    events = ["output", "logs", "completed"]
    client.predictions.create(
        SDXL, input={"prompt": "x", "num_outputs": 4}, webhook=hooks.url, webhook_events_filter=events
    )
    hooks.wait_for(lambda r: any(d.event == "completed" for d in served[0].webhook_deliveries))
    sent = [d for d in served[0].webhook_deliveries if d.event != "completed"]
    assert len(sent) >= 2
    # 4 outputs and 5 log lines in 0.6 s would be 9 webhooks unthrottled: at most one per 0.2 s goes
    assert len(sent) <= 5
    assert served[0].webhook_deliveries[-1].event == "completed"


def test_only_the_completed_webhook_is_retried(
    client: replicate.Client, served: tuple[FakeReplicate, str], hooks: Inbox
) -> None:
    hooks.answers = [500, 500, 500]
    filter_ = ["start", "completed"]
    client.predictions.create(SDXL, input={"prompt": "x"}, webhook=hooks.url, webhook_events_filter=filter_)
    hooks.wait_for(lambda r: len(served[0].webhook_deliveries) >= 4)
    deliveries = served[0].webhook_deliveries
    start = [d for d in deliveries if d.event == "start"]
    completed = [d for d in deliveries if d.event == "completed"]
    assert [d.status for d in start] == [500]
    assert [d.status for d in completed] == [500, 500, 200]
    assert len({d.webhook_id for d in completed}) == 1


def test_without_a_filter_only_outputs_and_completion_are_sent(
    client: replicate.Client, served: tuple[FakeReplicate, str], hooks: Inbox
) -> None:
    client.predictions.create(SDXL, input={"prompt": "x"}, webhook=hooks.url)
    hooks.wait_for(lambda r: any(x.prediction["status"] == "succeeded" for x in r))
    assert {d.event for d in served[0].webhook_deliveries} <= {"output", "completed"}


def test_the_cli_serves_it() -> None:
    from typer.testing import CliRunner

    from omnirelay.cli.main import app

    result = CliRunner().invoke(app, ["fake-upstream", "replicate", "--help"])
    assert result.exit_code == 0 and "FakeReplicate" in result.output and "--api-token" in result.output
