"""Pure Suno transforms: a client's 2A submit in each upstream dialect, and each dialect's answers in
neutral task states with clips in the 2A shape, checked against JSON fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from omnirelay import errors
from omnirelay.families.suno.upstream import SunoSubmit
from omnirelay.providers.suno import aggregator, gcui
from omnirelay.providers.suno.errors import error_for
from omnirelay.providers.suno.wire import UpstreamRequest
from omnirelay.tasks.model import UpstreamState

FIXTURES = Path(__file__).parent / "fixtures" / "suno"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def _submit(case: dict[str, Any]) -> SunoSubmit:
    return SunoSubmit(case["action"], case["body"], case.get("origin"))


def _request(request: UpstreamRequest) -> dict[str, Any]:
    return {"method": request.method, "path": request.path, "body": request.body, "query": dict(request.query)}


def _state(state: UpstreamState) -> dict[str, Any]:
    return {
        "status": state.status,
        "progress": state.progress,
        "fail_reason": state.fail_reason,
        "start_time": state.start_time,
        "finish_time": state.finish_time,
        "result": dict(state.result),
    }


SUBMITS = fixture("submits.json")["cases"]


@pytest.mark.parametrize("case", SUBMITS, ids=[case["name"] for case in SUBMITS])
def test_a_client_submit_becomes_each_dialects_request(case: dict[str, Any]) -> None:
    submit = _submit(case["submit"])
    assert _request(aggregator.submit_request(submit)) == case["aggregator"]
    if case["gcui"] == "unsupported":
        with pytest.raises(errors.UpstreamError) as refused:
            gcui.submit_request(submit)
        assert refused.value.retryable and refused.value.code == "unsupported_by_channel"
    else:
        assert _request(gcui.submit_request(submit)) == case["gcui"]
    assert dict(submit.body) == case["submit"]["body"], "the client's body is not changed"


def test_the_aggregator_fetch_answer_becomes_states_with_2a_clips_and_no_upstream_account() -> None:
    case = fixture("aggregator_fetch.json")
    states = aggregator.states_from(case["answer"])
    assert {task_id: _state(state) for task_id, state in states.items()} == case["states"]
    assert "t-unknown" not in states, "UNKNOWN is no news: the task is left alone"
    assert b"upstream-account" not in orjson.dumps([dict(s.result) for s in states.values()])


def test_the_aggregator_submit_answer_is_its_task_id() -> None:
    accepted = aggregator.accepted_from({"code": "success", "message": "", "data": "task-1"})
    assert (accepted.upstream_id, accepted.state) == ("task-1", None)
    with pytest.raises(errors.UpstreamError):
        aggregator.accepted_from({"code": "success", "message": "", "data": None})
    with pytest.raises(errors.UpstreamError):
        aggregator.accepted_from([])


GCUI_SUBMITS = fixture("gcui_answers.json")["submits"]
GCUI_GETS = fixture("gcui_answers.json")["gets"]


@pytest.mark.parametrize("case", GCUI_SUBMITS, ids=[case["name"] for case in GCUI_SUBMITS])
def test_a_gcui_submit_answer_names_what_to_poll_and_what_is_known(case: dict[str, Any]) -> None:
    accepted = gcui.accepted_from(_submit(case["submit"]), case["answer"])
    assert accepted.upstream_id == case["upstream_id"]
    assert accepted.state is not None
    expected = case["state"]
    assert (accepted.state.status, accepted.state.progress, accepted.state.fail_reason) == (
        expected["status"],
        expected["progress"],
        expected["fail_reason"],
    )
    data = accepted.state.result["data"]
    if "clip_statuses" in expected:
        assert [clip["status"] for clip in data] == expected["clip_statuses"]
        assert all(set(clip) >= {"id", "audio_url", "video_url", "image_url", "metadata"} for clip in data)
    else:
        assert data == expected["data"]
    assert b"upstream-account" not in orjson.dumps(data)


@pytest.mark.parametrize("case", GCUI_GETS, ids=[case["name"] for case in GCUI_GETS])
def test_gcui_clips_become_the_tasks_state(case: dict[str, Any]) -> None:
    state = gcui.state_from(case["answer"])
    if case["state"] is None:
        assert state is None
        return
    assert state is not None
    assert (state.status, state.progress, state.fail_reason) == tuple(case["state"].values())
    if "first_clip" in case:
        assert state.result["data"][0] == case["first_clip"]


def test_gcui_polls_one_task_by_its_clip_ids() -> None:
    assert _request(gcui.fetch_request("a,b")) == {
        "method": "GET",
        "path": "/api/get",
        "body": None,
        "query": {"ids": "a,b"},
    }


ERRORS = fixture("errors.json")["cases"]


@pytest.mark.parametrize("case", ERRORS, ids=[f"{c['status']}-{c['code']}" for c in ERRORS])
def test_upstream_error_answers_land_in_the_error_tree(case: dict[str, Any]) -> None:
    body = case["body"]
    raw = body.encode() if isinstance(body, str) else orjson.dumps(body)
    error = error_for(case["status"], raw, "suno-1")
    assert type(error) is getattr(errors, case["error"])
    assert error.code == case["code"]
    if "message" in case:
        assert error.message == case["message"] and error.status_code == case["status"]
