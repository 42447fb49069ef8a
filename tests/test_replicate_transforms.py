"""The ``replicate`` channel's pure transforms against JSON fixtures (``tests/fixtures/replicate/``):
a client's create becomes the upstream call (the client's webhook never leaves the gateway), and
upstream predictions become the engine's neutral states (spec §0)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from omnirelay.errors import UpstreamError
from omnirelay.providers.replicate.transforms import create_request, mapped_target, prediction_from, state_from
from omnirelay.providers.replicate.upstream import ReplicateCreate

FIXTURES = Path(__file__).parent / "fixtures" / "replicate"


def load(name: str) -> dict[str, Any]:
    loaded = json.loads((FIXTURES / name).read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("create_*.json")))
def test_create_becomes_the_upstream_call(name: str) -> None:
    case = load(name)
    create = ReplicateCreate(**case["create"])
    request = create_request(create, mapped_target(create, case["model_map"]))
    assert dataclasses.asdict(request) == case["request"]


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("prediction_*.json")))
def test_prediction_becomes_a_neutral_state(name: str) -> None:
    case = load(name)
    state = state_from(case["prediction"])
    assert state is not None
    assert dataclasses.asdict(state) == case["state"]
    assert "urls" not in state.result["prediction"]


def test_the_upstream_status_and_predict_time_stay_readable() -> None:
    aborted = prediction_from(load("prediction_aborted.json")["prediction"])
    assert (aborted.status, aborted.predict_time) == ("aborted", None)
    succeeded = prediction_from(load("prediction_succeeded.json")["prediction"])
    assert (succeeded.status, succeeded.predict_time) == ("succeeded", 0.9)


@pytest.mark.parametrize("answer", [None, [], {"id": "x"}, {"status": "succeeded"}, {"id": "x", "status": "weird"}])
def test_what_is_not_a_prediction_is_an_upstream_error(answer: Any) -> None:
    with pytest.raises(UpstreamError):
        prediction_from(answer)


def test_a_bare_version_hash_is_not_mapped() -> None:
    create = ReplicateCreate("version", "7762fd07" + "0" * 56, {"input": {}})
    assert mapped_target(create, {"stability-ai/sdxl": "mirror/sdxl"}) == "7762fd07" + "0" * 56
