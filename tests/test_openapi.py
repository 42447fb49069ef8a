"""The OpenAPI contract at ``/openapi.json``: a valid OpenAPI 3.1 document, one operation for every
route the gateway serves (and no operation it does not serve), and a property-based fuzz of every
operation against a real gateway in front of fake upstreams (schemathesis): no 5xx, no answer
that breaks its own schema, no undocumented status or content type.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis import checks as sc
from starlette.routing import BaseRoute, Mount, Route

from conftest import ADMIN_KEY, USER_KEY
from omnirelay.app import create_app
from omnirelay.openapi import openapi_document
from omnirelay.settings import Settings
from omnirelay.testing import (
    FakeAnthropic,
    FakeArk,
    FakeArkKnobs,
    FakeBfl,
    FakeBflKnobs,
    FakeGemini,
    FakeIdeogram,
    FakeKling,
    FakeKlingKnobs,
    FakeMidjourney,
    FakeOpenAI,
    FakeRecraft,
    FakeReplicate,
    FakeReplicateKnobs,
    FakeRerank,
    FakeSuno,
    FakeSunoKnobs,
    serve_in_thread,
)
from serve_process import serving

METHODS = ("get", "put", "post", "delete", "patch")
Operation = tuple[str, str]
"""(METHOD, path with every parameter written ``{}``): how a route and an operation are matched."""


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def served_operations(routes: Iterable[BaseRoute], prefix: str = "") -> set[Operation]:
    """Every (method, path) the app answers; HEAD is left out, Starlette adds it to every GET."""
    found: set[Operation] = set()
    for route in routes:
        if isinstance(route, Mount):
            found |= served_operations(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            found |= {(m, _shape(prefix + route.path)) for m in route.methods or () if m != "HEAD"}
        else:
            raise AssertionError(f"a route of an unknown kind: {route!r}")
    return found


def documented_operations(document: dict[str, Any]) -> set[Operation]:
    return {(m.upper(), _shape(path)) for path, item in document["paths"].items() for m in METHODS if m in item}


def _minimal_app() -> Any:
    return create_app(Settings.model_validate({"database_url": "sqlite+aiosqlite:///:memory:"}))


def test_the_document_is_valid_openapi_3_1() -> None:
    document = openapi_document()
    validate(document)  # raises naming the first part that breaks the OpenAPI 3.1 schema
    assert document["openapi"].startswith("3.1")
    ids = [op["operationId"] for item in document["paths"].values() for m, op in item.items() if m in METHODS]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_every_served_route_is_documented_and_every_documented_operation_is_served() -> None:
    served = served_operations(_minimal_app().routes)
    documented = documented_operations(openapi_document())
    assert not served - documented, f"served but not in openapi/*.yaml: {sorted(served - documented)}"
    assert not documented - served, f"documented but not served: {sorted(documented - served)}"


def test_every_documented_operation_has_a_success_and_an_error_answer_described() -> None:
    document = openapi_document()
    lacking = [
        f"{m.upper()} {path}"
        for path, item in document["paths"].items()
        for m, op in item.items()
        if m in METHODS
        and path not in ("/healthz", "/openapi.json")
        # a success: 2xx, or the 303 of a console form (post, then redirect)
        and (not any(s[0] in "23" for s in op["responses"]) or not any(s >= "4" for s in op["responses"]))
    ]
    assert not lacking, lacking


# --- the fuzz -------------------------------------------------------------------------------------

EXAMPLES = int(os.environ.get("OMNIRELAY_FUZZ_EXAMPLES", "8"))
"""Examples per operation (CI's bound: the whole fuzz stays within about two minutes on 2 cores)."""

MODES = [GenerationMode(m) for m in os.environ.get("OMNIRELAY_FUZZ_MODES", "positive,negative").split(",")]
"""Valid requests (they must succeed or be refused as documented) and invalid ones (refused, never a 5xx)."""

CONTRACT_CHECKS = [sc.status_code_conformance, sc.content_type_conformance, sc.response_schema_conformance]
CHECKS = [sc.not_a_server_error, *CONTRACT_CHECKS]

MODELS = {
    "/v1/chat/completions": "gpt-4o-mini",
    "/v1/completions": "gpt-3.5-turbo-instruct",
    "/v1/moderations": "omni-moderation-latest",
    "/v1/embeddings": "text-embedding-3-small",
    "/v1/responses": "gpt-4o-mini",
    "/v1/images/generations": "gpt-image-1",
    "/v1/audio/speech": "tts-1",
    "/v1/rerank": "jina-reranker-v2",
    "/v2/rerank": "jina-reranker-v2",
    "/v1/messages": "claude-sonnet-4-5",
    "/v1/messages/count_tokens": "claude-sonnet-4-5",
}
"""A model the gateway prices and a channel serves, put into half of the generated bodies so that
the fuzz reaches the success paths too (random model names only ever reach 404). The documented
examples (``example`` of a request body) name the same models."""

PER_CALL = ("/v1/moderations", "/v1/images/generations", "/v1/audio/speech")
SDXL = "stability-ai/sdxl"
KLING_SECRET = "kling-fuzz-secret-00000000000000000000"

DELIBERATE_5XX = {("POST /v1/moderations", 501)}
"""5xx answers that are the documented product, not a fault: 501 ``not_implemented`` for a model
only the built-in ``local`` provider would serve (nothing offline can moderate; docs/api-openai.md)."""

LAST = ("PATCH /api/admin/keys", "DELETE /api/admin/keys", "PATCH /api/admin/channels", "DELETE /api/admin/channels")
"""Operations that can take the fuzzer's own key or the channels away: run after everything else,
so they are fuzzed like the rest without starving the other operations of a working key."""


def _served_fakes(stack: ExitStack) -> dict[str, str]:
    fakes: dict[str, Any] = {
        "openai": FakeOpenAI(),
        "anthropic": FakeAnthropic(),
        "gemini": FakeGemini(),
        "jina": FakeRerank(dialect="jina"),
        "midjourney": FakeMidjourney(),
        "suno": FakeSuno(FakeSunoKnobs(step_s=0.01)),
        "kling": FakeKling(FakeKlingKnobs(step_s=0.01, keys={"ak-fuzz": KLING_SECRET})),
        "replicate": FakeReplicate(FakeReplicateKnobs(start_s=0.01, run_s=0.02)),
        "bfl": FakeBfl(FakeBflKnobs(step_s=0.01)),
        "ark": FakeArk(FakeArkKnobs(step_s=0.01)),
        "ideogram": FakeIdeogram(),
        "recraft": FakeRecraft(),
    }
    return {name: stack.enter_context(serve_in_thread(fake.app)) for name, fake in fakes.items()}


MJ_MODELS = ["mj_imagine", "mj_upscale", "mj_variation", "mj_reroll", "mj_describe", "mj_blend", "mj_modal", "mj_zoom"]
ARK_MODELS = ["doubao-seedream-3-0-t2i-250415", "doubao-seedance-1-0-pro-250528"]
SUNO_MODELS = ["suno_music", "suno_lyrics", "suno_concat", "suno_stems", "suno_upload", "suno_persona"]
IDEOGRAM_MODELS = ["V_1", "V_1_TURBO", "V_2", "V_2_TURBO", "V_2A", "V_2A_TURBO", "V_3"]
RECRAFT_MODELS = ["recraftv3", "recraftv2"]


def _channels(urls: dict[str, str]) -> list[dict[str, Any]]:
    """One channel per fake, each serving the models the fuzz names (``MODELS``)."""
    openai_models = [MODELS[p] for p in ("/v1/chat/completions", "/v1/completions", "/v1/embeddings")]
    openai_models += [MODELS[p] for p in ("/v1/moderations", "/v1/images/generations", "/v1/audio/speech")]
    kinds: list[tuple[str, str, list[str], str]] = [
        ("openai", urls["openai"] + "/v1", openai_models, "sk-up"),
        ("anthropic", urls["anthropic"], [MODELS["/v1/messages"]], "sk-ant"),
        ("gemini", urls["gemini"], ["gemini-2.5-flash"], "g-up"),
        ("jina", urls["jina"], [MODELS["/v1/rerank"]], "sk-j"),
        ("midjourney", urls["midjourney"], MJ_MODELS, "mj"),
        ("suno", urls["suno"], SUNO_MODELS, "sk-suno"),
        ("kling", urls["kling"], ["kling-v1"], f"ak-fuzz|{KLING_SECRET}"),
        ("replicate", urls["replicate"], [SDXL], "r8"),
        ("bfl", urls["bfl"], ["flux-pro-1.1"], "bfl-key"),
        ("ark", urls["ark"], ARK_MODELS, "ark-key"),
        ("ideogram", urls["ideogram"], IDEOGRAM_MODELS, "ideo-key"),
        ("recraft", urls["recraft"] + "/v1", RECRAFT_MODELS, "rc-key"),
    ]
    return [
        {"name": kind, "type": kind, "base_url": url, "secrets": [secret], "models": models}
        for kind, url, models, secret in kinds
    ]


def _gateway_settings(urls: dict[str, str]) -> dict[str, Any]:
    per_token = [*{m for p, m in MODELS.items() if p not in PER_CALL}, "gemini-2.5-flash"]
    per_call = [MODELS[p] for p in PER_CALL] + [*MJ_MODELS, *SUNO_MODELS, "kling-v1", SDXL, "flux-pro-1.1", *ARK_MODELS]
    per_call += [*IDEOGRAM_MODELS, *RECRAFT_MODELS]
    tokens = {"mode": "per_token", "input_per_million": 1000, "output_per_million": 2000}
    return {
        "accounts": [{"name": "acme", "balance": 10**12}],
        "keys": [{"account": "acme", "name": "main", "key": USER_KEY}],
        "channels": _channels(urls),
        "prices": [
            *[{"model": m, **tokens} for m in per_token],
            *[{"model": m, "mode": "per_call", "per_call": 1000} for m in [*per_call, "kling-v1:image"]],
        ],
        "outbound": {"allow_networks": ["127.0.0.1/32"]},  # the fakes serve their media on loopback
    }


def _auth(operation: Any) -> dict[str, str]:
    """The key where this operation's family looks for it (none on the keyless, signed routes)."""
    raw = operation.definition.raw
    tags = raw.get("tags", [])
    if raw.get("security") == []:
        return {}
    if "admin" in tags:
        return {"Authorization": f"Bearer {ADMIN_KEY}"}
    if "gemini" in tags:
        return {"x-goog-api-key": USER_KEY}
    if "anthropic" in tags:
        return {"x-api-key": USER_KEY, "anthropic-version": "2023-06-01"}
    return {"Authorization": f"Bearer {USER_KEY}"}


def _with_known_model(path: str) -> Callable[[tuple[Any, bool]], Any]:
    def apply(pair: tuple[Any, bool]) -> Any:
        case, known = pair
        model = MODELS.get(path)
        if known and model and isinstance(case.body, dict) and "model" in case.body:
            case.body["model"] = model
        if known and path.endswith("/models/{model}") and case.method == "POST":
            case.path_parameters["model"] = "gemini-2.5-flash:generateContent"
        return case

    return apply


def _documented_example(operation: Any) -> Any | None:
    """The request of the operation's documented ``example`` (body and path parameters), if it has one."""
    raw = operation.definition.raw
    body = raw.get("requestBody", {}).get("content", {}).get("application/json", {})
    if "example" not in body:
        return None
    path = {p["name"]: p["example"] for p in raw.get("parameters", []) if p.get("in") == "path" and "example" in p}
    return operation.Case(body=body["example"], path_parameters=path or None, media_type="application/json")


def _order(label: str) -> int:
    return next((i + 1 for i, start in enumerate(LAST) if label.startswith(start)), 0)


def _fuzz(operation: Any, base_url: str) -> list[str]:
    """Run ``EXAMPLES`` cases of ``operation``; its failures, without shrinking (the first two)."""
    failures: list[str] = []
    path = operation.path
    cases = st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in MODES))
    strategy = st.tuples(cases, st.booleans()).map(_with_known_model(path))

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(case: Any) -> None:
        try:
            response = case.call(base_url=base_url, headers=_auth(operation), timeout=30)
            deliberate = (operation.label, response.status_code) in DELIBERATE_5XX
            case.validate_response(response, checks=[c for c in CHECKS if not deliberate or c in CONTRACT_CHECKS])
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - each failure is collected and reported below
            message = f"{operation.label}: {type(exc).__name__}: {str(exc)[:1500]}"
            if len(failures) < 2:
                failures.append(message)

    run()
    return failures


def _serve(folder: Path, stack: ExitStack) -> str:
    """A real ``omnirelay serve`` (on its default SQLite store) in front of the fakes; its base URL."""
    config = folder / "omnirelay.yaml"
    config.write_text(yaml.safe_dump({**_gateway_settings(_served_fakes(stack)), "admin_key": ADMIN_KEY}))
    return stack.enter_context(serving(config, folder / "serve.log"))


@pytest.mark.slow
def test_fuzzing_every_operation_finds_no_server_error_and_no_answer_outside_the_contract(
    tmp_path: Path, stack: ExitStack
) -> None:
    url = _serve(tmp_path, stack)
    served = httpx.get(url + "/openapi.json").json()
    assert served == openapi_document()
    schema = schemathesis.openapi.from_dict(served)
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=lambda op: _order(op.label))
    assert len(operations) == len(documented_operations(openapi_document()))
    examples = [(op, case) for op in operations if (case := _documented_example(op)) is not None]
    assert len(examples) >= 10
    for op, case in examples:  # each family's documented example succeeds, within the contract
        response = case.call(base_url=url, headers=_auth(op), timeout=30)
        assert 200 <= response.status_code < 300, f"{op.label}: {response.status_code} {response.text[:500]}"
        case.validate_response(response, checks=CHECKS)
    failures = [failure for op in operations for failure in _fuzz(op, url)]
    assert not failures, "\n\n".join(failures)
