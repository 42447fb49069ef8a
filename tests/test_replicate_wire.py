"""The Replicate family's pure parts: headers, the webhook events a change sends, the status shown, the cost."""

from __future__ import annotations

from typing import Any

import pytest

from omnirelay.errors import InvalidRequest
from omnirelay.families.replicate.headers import cancel_after_s, wait_s
from omnirelay.families.replicate.wire import ReplicateFamily, status_of
from omnirelay.files.links import LinkSigner
from omnirelay.tasks.model import Status, TaskRecord

FAMILY = ReplicateFamily(LinkSigner(b"k" * 32))


def record(status: str = Status.IN_PROGRESS, at: int = 1_000, **fields: Any) -> TaskRecord:
    values: dict[str, Any] = {
        "id": "p" * 26,
        "family": "replicate",
        "action": "PREDICT",
        "model": "acme/model",
        "status": status,
        "progress": 0,
        "account_id": 1,
        "key_id": 1,
        "channel_id": 1,
        "upstream_id": "u",
        "parent_id": None,
        "hold": 300_000,
        "billing": "reserved",
        "cost": 0,
        "request": {"webhook_events_filter": ["start", "output", "logs", "completed"]},
        "result": {},
        "fail_reason": None,
        "notify_url": "https://hooks.example/r",
        "submit_time": 0,
        "start_time": None,
        "finish_time": None,
        "deadline": 10**12,
        "next_poll_at": None,
        "poll_interval_ms": 1000,
        "version": 1,
        "updated_at": at,
    }
    return TaskRecord(**(values | fields))


@pytest.mark.parametrize(("value", "seconds"), [(None, None), ("wait", 60), ("wait=1", 1), ("wait=60", 60)])
def test_prefer_wait_values(value: str | None, seconds: int | None) -> None:
    assert wait_s(value) == seconds


@pytest.mark.parametrize("value", ["wait=0", "wait=61", "wait=", "respond-async", "wait=5s"])
def test_prefer_malformed(value: str) -> None:
    with pytest.raises(InvalidRequest) as error:
        wait_s(value)
    assert error.value.param == "Prefer"


@pytest.mark.parametrize(("value", "seconds"), [("30", 30), ("30s", 30), ("5m", 300), ("1h30m45s", 5445)])
def test_cancel_after_values(value: str, seconds: int) -> None:
    assert cancel_after_s(value) == seconds


@pytest.mark.parametrize("value", ["4s", "4", "", "m", "1d", "1.5s", "-5"])
def test_cancel_after_malformed(value: str) -> None:
    with pytest.raises(InvalidRequest) as error:
        cancel_after_s(value)
    assert error.value.param == "Cancel-After"


def test_start_output_and_logs_events_follow_the_filter_and_the_throttle() -> None:
    queued = record(Status.SUBMITTED, at=0)
    running = record(at=100, result={"prediction": {"status": "processing", "logs": "a"}})
    assert FAMILY.webhook_event(queued, running) == "replicate.start"
    out = record(at=700, result={"prediction": {"status": "processing", "logs": "a", "output": ["x"]}})
    assert FAMILY.webhook_event(running, out) == "replicate.output"
    soon = record(at=900, result={"prediction": {"status": "processing", "logs": "ab", "output": ["x"]}})
    assert FAMILY.webhook_event(out, soon) is None  # 200 ms after the last change: throttled
    later = record(at=1_500, result={"prediction": {"status": "processing", "logs": "abc", "output": ["x"]}})
    assert FAMILY.webhook_event(soon, later) == "replicate.logs"
    done = record(Status.SUCCESS, at=1_510, finish_time=1_510)
    assert FAMILY.webhook_event(later, done) == "replicate.completed"  # never throttled


def test_filtered_out_events_send_nothing() -> None:
    only_completed = {"webhook_events_filter": ["completed"]}
    queued = record(Status.SUBMITTED, at=0, request=only_completed)
    running = record(at=1_000, request=only_completed, result={"prediction": {"output": ["x"]}})
    assert FAMILY.webhook_event(queued, running) is None
    assert FAMILY.webhook_event(None, queued) is None
    assert FAMILY.webhook_event(running, record(Status.FAILURE, request=only_completed)) == "replicate.completed"


def test_status_tells_canceled_from_aborted_at_the_cancel_after_deadline() -> None:
    request = {"deadline_ms": 5_000}
    assert status_of(record(Status.FAILURE, request=request, finish_time=5_100, start_time=1_000)) == "canceled"
    assert status_of(record(Status.FAILURE, request=request, finish_time=5_100)) == "aborted"
    assert status_of(record(Status.FAILURE, finish_time=5_100)) == "failed"
    assert status_of(record(Status.CANCEL, result={"prediction": {"status": "aborted"}})) == "aborted"
    assert status_of(record(Status.SUBMITTED)) == "starting"


def test_cost_is_seconds_of_predict_time_at_the_reserved_price() -> None:
    metered = {"per_second_price": 1_000, "multiplier": "3/2"}
    succeeded = record(Status.SUCCESS, request=metered, result={"prediction": {"metrics": {"predict_time": 2.0004}}})
    assert FAMILY.cost(succeeded) == 3_001  # ceil(2.0004 s * 1000 * 1.5)
    assert FAMILY.cost(record(Status.SUCCESS, request=metered)) is None  # no metrics: the hold stands
    assert FAMILY.cost(record(Status.SUCCESS)) is None  # per prediction


def test_output_files_become_signed_gateway_links() -> None:
    said = {"status": "succeeded", "output": {"images": ["https://replicate.delivery/a.png"], "text": "hi"}}
    rendered = FAMILY.render(
        record(Status.SUCCESS, request={"base_url": "https://gw.example"}, result={"prediction": said})
    )
    link = rendered["output"]["images"][0]
    assert link.startswith(f"https://gw.example/replicate/files/{'p' * 26}/0?sig=")
    assert rendered["output"]["text"] == "hi"
    assert rendered["urls"]["get"] == f"https://gw.example/v1/predictions/{'p' * 26}"
