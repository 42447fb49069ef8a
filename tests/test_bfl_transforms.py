"""Pure BFL pieces: requests as BFL's, BFL's answers as neutral task states, its errors in the one tree
(JSON fixtures); the request checks and price names of the family."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from omnirelay import errors
from omnirelay.errors import UpstreamError
from omnirelay.families.bfl.invalid import InvalidFields
from omnirelay.families.bfl.requests import parse_create
from omnirelay.families.bfl.upstream import BflSubmit
from omnirelay.providers.bfl.transforms import (
    MAX_UPSTREAM_ID,
    accepted_id,
    error_for,
    key_tag,
    parse_upstream_id,
    poll_url,
    state_from,
    submit_request,
)

FIXTURES = Path(__file__).parent / "fixtures" / "bfl"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


SUBMITS = fixture("submits.json")["cases"]
ANSWERS = fixture("answers.json")
ERRORS = fixture("errors.json")["cases"]


@pytest.mark.parametrize("case", SUBMITS, ids=[c["name"] for c in SUBMITS])
def test_a_request_becomes_bfls_request(case: dict[str, Any]) -> None:
    request = submit_request("https://api.bfl.ai", BflSubmit(case["model"], case["body"]), case["upstream_model"])
    assert {"method": request.method, "url": request.url, "body": request.body} == case["request"]


@pytest.mark.parametrize("case", ANSWERS["accepted"], ids=[c["name"] for c in ANSWERS["accepted"]])
def test_a_task_is_polled_on_the_channels_own_host_only(case: dict[str, Any]) -> None:
    upstream_id = accepted_id(case["answer"], case["base_url"], key_tag("k1"))
    assert parse_upstream_id(upstream_id)[:2] == (case["answer"]["id"], key_tag("k1"))
    assert poll_url(case["base_url"], upstream_id) == case["poll"]


def test_an_answer_without_an_id_is_an_upstream_error_and_keys_are_never_stored() -> None:
    for answer in ({"polling_url": "https://api.bfl.ai/x"}, {"id": ""}, {"id": "a|b"}, None):
        with pytest.raises(UpstreamError):
            accepted_id(answer, "https://api.bfl.ai", "tag")
    assert "secret-key" not in accepted_id({"id": "x"}, "https://api.bfl.ai", key_tag("secret-key"))


def test_upstream_ids_fit_the_store() -> None:
    task_id = "7f9c2b1e-5d4a-4c3b-9a8f-0123456789ab"
    long_path = f"https://api.bfl.ai/v1/get_result?id={task_id}&" + "x" * 80
    for polling_url in (f"https://api.bfl.ai/v1/get_result?id={task_id}", long_path):
        upstream_id = accepted_id({"id": task_id, "polling_url": polling_url}, "https://api.bfl.ai", key_tag("k"))
        assert len(upstream_id) <= MAX_UPSTREAM_ID and upstream_id.endswith("|")


@pytest.mark.parametrize("case", ANSWERS["states"], ids=[c["name"] for c in ANSWERS["states"]])
def test_a_result_response_becomes_a_neutral_state(case: dict[str, Any]) -> None:
    state = state_from(case["answer"])
    if case["state"] is None:
        assert state is None
        return
    assert state is not None
    assert (state.status, state.progress) == (case["state"]["status"], case["state"]["progress"])
    if "result" in case["state"]:
        assert dict(state.result) == case["state"]["result"]
    assert (state.fail_reason is not None) == (state.status == "FAILURE")


@pytest.mark.parametrize("case", ERRORS, ids=[c["name"] for c in ERRORS])
def test_an_error_answer_is_an_error_of_the_tree(case: dict[str, Any]) -> None:
    error = error_for(case["status"], orjson.dumps(case["body"]), "bfl-a")
    assert type(error) is getattr(errors, case["error"]) and error.retryable is case["retryable"]
    if "message" in case:
        assert error.message == case["message"] and error.status_code == case["status"]


def test_accepted_requests_name_their_prices_and_lose_the_webhook_fields() -> None:
    create = parse_create("flux-pro-1.1", {"prompt": "a", "width": 512, "webhook_url": "https://h.example/x"})
    assert create.price_names == ["flux-pro-1.1:512x768", "flux-pro-1.1"]
    assert create.webhook_url == "https://h.example/x" and "webhook_url" not in create.body
    assert parse_create("flux-kontext-pro", {"prompt": "a", "aspect_ratio": "9:21"}).price_names == ["flux-kontext-pro"]
    assert parse_create("flux-pro-1.0-fill", {"image": "aGVsbG8="}).body == {"image": "aGVsbG8="}
    with pytest.raises(InvalidFields) as refused:
        parse_create("flux-pro-1.0-canny", {"prompt": "edges"})
    assert refused.value.detail == [{"loc": ["body", "control_image"], "msg": "Field required", "type": "missing"}]


@pytest.mark.parametrize(
    ("field", "value"),
    [("seed", 1.5), ("seed", True), ("prompt_upsampling", "yes"), ("steps", 0), ("guidance", "high"), ("raw", 1)],
)
def test_typed_fields_are_checked(field: str, value: Any) -> None:
    with pytest.raises(InvalidFields) as refused:
        parse_create("flux-dev", {"prompt": "a", field: value})
    assert refused.value.detail[0]["loc"] == ["body", field] and refused.value.status_code == 422
