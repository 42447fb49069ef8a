"""Pure Recraft pieces: calls as Recraft's requests, its answers and errors in neutral terms (JSON fixtures);
price names; the gateway's answer built from a delivered call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from image_vendor_support import image_bytes as png_bytes
from omnirelay import errors
from omnirelay.api.multipart import Form, FormFile
from omnirelay.families.recraft.pricing import price_names
from omnirelay.families.recraft.requests import form_request, generation_request
from omnirelay.families.recraft.service import answer_of
from omnirelay.families.recraft.upstream import RecraftCall, RecraftImage, RecraftResult
from omnirelay.families.sync_call import Delivered
from omnirelay.providers.base import GeneratedImage
from omnirelay.providers.recraft.transforms import error_for, read_answer, upstream_request

FIXTURES = Path(__file__).parent / "fixtures" / "recraft"


def cases(name: str) -> list[dict[str, Any]]:
    return list(json.loads((FIXTURES / name).read_text())["cases"])


REQUESTS, ANSWERS, ERRORS = cases("requests.json"), cases("answers.json"), cases("errors.json")


@pytest.mark.parametrize("case", REQUESTS, ids=[c["name"] for c in REQUESTS])
def test_a_call_becomes_recrafts_request(case: dict[str, Any]) -> None:
    given = case["call"]
    fields = tuple((name, value) for name, value in given.get("fields", []))
    call = RecraftCall(given["operation"], given["model"], json=given.get("json"), fields=fields)
    request = upstream_request(call, case["upstream_model"])
    got = {"path": request.path, "json": request.json, "fields": [list(f) for f in request.fields]}
    assert got == case["request"]


@pytest.mark.parametrize("case", ANSWERS, ids=[c["name"] for c in ANSWERS])
def test_an_answer_becomes_images(case: dict[str, Any]) -> None:
    answer = read_answer(case["answer"])
    if case["expected"] is None:
        assert answer is None
        return
    assert answer is not None
    images = [[i.image_id, i.url, i.b64] for i in answer.images]
    assert {"created": answer.created, "images": images} == case["expected"]


@pytest.mark.parametrize("case", ERRORS, ids=[c["name"] for c in ERRORS])
def test_an_error_answer_becomes_an_error_of_the_tree(case: dict[str, Any]) -> None:
    body = case["body"]
    raw = body.encode() if isinstance(body, str) else orjson.dumps(body)
    error = error_for(case["status"], raw, "rc")
    assert type(error) is getattr(errors, case["error"])
    assert (error.status_code, error.code, error.retryable) == (case["status_code"], case["code"], case["retryable"])
    if "message" in case:
        assert error.message == case["message"]


def test_requests_are_billed_by_model_vector_output_and_operation() -> None:
    vector = generation_request({"prompt": "x", "style": "vector_illustration", "n": 3}, 10)
    assert (vector.billed.model, vector.billed.units, vector.call.vector) == ("recraftv3", 3, True)
    assert vector.billed.price_names == ("recraftv3:vector", "recraftv3")
    raster = generation_request({"prompt": "x", "model": "recraftv2"}, 10)
    assert raster.billed.price_names == ("recraftv2",) and not raster.b64
    form = Form({"response_format": "b64_json"}, [FormFile("file", "a.png", "image/png", png_bytes())], 100)
    vectorize = form_request("vectorize", form)
    assert vectorize.single and vectorize.b64 and vectorize.call.vector and vectorize.call.model is None
    assert vectorize.billed.price_names == price_names("recraftv3", "vectorize", vector=True)


def test_the_answer_inlines_or_links_the_images_billed() -> None:
    image = GeneratedImage(b"<svg/>", "image/svg+xml")
    result = RecraftResult(7, (RecraftImage("a", image),))
    form = Form({}, [FormFile("file", "a.png", "image/png", png_bytes())], 100)
    linked = answer_of(form_request("vectorize", form), Delivered(result, ("https://gw/a",), charged=9))
    assert linked == {"created": 7, "credits": 9, "image": {"image_id": "a", "url": "https://gw/a"}}
    inline = answer_of(generation_request({"prompt": "x", "response_format": "b64_json"}, 1), Delivered(result, (), 4))
    assert inline == {"created": 7, "credits": 4, "data": [{"image_id": "a", "b64_json": "PHN2Zy8+"}]}
