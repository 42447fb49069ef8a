"""Pure Ideogram pieces: calls as Ideogram's requests, its answers and errors in neutral terms (JSON fixtures);
price names; the gateway's answer built from a delivered call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from omnirelay import errors
from omnirelay.families.ideogram.pricing import price_names
from omnirelay.families.ideogram.service import answer_of
from omnirelay.families.ideogram.upstream import IdeogramCall, IdeogramEntry, IdeogramResult, upstream_path
from omnirelay.families.sync_call import Delivered
from omnirelay.providers.base import GeneratedImage
from omnirelay.providers.ideogram.transforms import error_for, read_answer, upstream_request

FIXTURES = Path(__file__).parent / "fixtures" / "ideogram"


def cases(name: str) -> list[dict[str, Any]]:
    return list(json.loads((FIXTURES / name).read_text())["cases"])


REQUESTS, ANSWERS, ERRORS = cases("requests.json"), cases("answers.json"), cases("errors.json")


@pytest.mark.parametrize("case", REQUESTS, ids=[c["name"] for c in REQUESTS])
def test_a_call_becomes_ideograms_request(case: dict[str, Any]) -> None:
    given = case["call"]
    fields = tuple((name, value) for name, value in given.get("fields", []))
    call = IdeogramCall(given["operation"], given["model"], json=given.get("json"), fields=fields)
    request = upstream_request(call, case["upstream_model"])
    got = {"path": request.path, "json": request.json, "fields": [list(f) for f in request.fields]}
    assert got == case["request"]


@pytest.mark.parametrize("case", ANSWERS, ids=[c["name"] for c in ANSWERS])
def test_an_answer_becomes_entries_and_their_links(case: dict[str, Any]) -> None:
    answer = read_answer(case["answer"])
    if case["expected"] is None:
        assert answer is None
        return
    assert answer is not None
    got = {"created": answer.created, "descriptions": list(answer.descriptions),
           "entries": [[fields, url] for fields, url in answer.entries]}  # fmt: skip
    assert got == case["expected"]


@pytest.mark.parametrize("case", ERRORS, ids=[c["name"] for c in ERRORS])
def test_an_error_answer_becomes_an_error_of_the_tree(case: dict[str, Any]) -> None:
    body = case["body"]
    raw = body.encode() if isinstance(body, str) else orjson.dumps(body)
    error = error_for(case["status"], raw, "ideo")
    assert type(error) is getattr(errors, case["error"])
    assert (error.status_code, error.code, error.retryable) == (case["status_code"], case["code"], case["retryable"])
    if "message" in case:
        assert error.message == case["message"]


def test_paths_and_price_names() -> None:
    assert upstream_path("describe") == "/describe"
    assert upstream_path("v3/reframe") == "/v1/ideogram-v3/reframe"
    assert price_names("V_2", "edit") == ("V_2:edit", "V_2")
    assert price_names("V_3", "generate", "TURBO") == ("V_3:generate:TURBO", "V_3:TURBO", "V_3:generate", "V_3")


def test_the_answer_carries_gateway_links_only_for_the_images_billed() -> None:
    image = GeneratedImage(b"png", "image/png")
    entries = (
        IdeogramEntry({"seed": 1}, image),
        IdeogramEntry({"seed": 2, "is_image_safe": False}, None),
        IdeogramEntry({"seed": 3}, image),
    )
    delivered = Delivered(IdeogramResult("now", entries), ("https://gw/1",), charged=5)
    assert answer_of(delivered) == {"created": "now", "data": [{"seed": 1, "url": "https://gw/1"},
                                                               {"seed": 2, "is_image_safe": False}]}  # fmt: skip
