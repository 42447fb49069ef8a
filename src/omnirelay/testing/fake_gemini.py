"""A faithful fake of the Gemini API (``v1beta``, Google AI Studio), with the fault knobs of the other fakes.

``:generateContent``, ``:streamGenerateContent`` (``?alt=sse``: ``data:`` lines and ``\\r\\n\\r\\n``;
otherwise one JSON array, streamed), ``:countTokens``, ``:embedContent``, ``:batchEmbedContents``,
``GET /v1beta/models`` and ``/v1beta/models/{model}`` (``/v1`` too). The key is read from
``x-goog-api-key`` or ``?key=``. Usage is deterministic (words), so tests can assert exact bills::

    fake = FakeGemini(FakeGeminiKnobs(api_key="g-key", cached_tokens=4))
    with serve_in_thread(fake.app) as url:
        client = genai.Client(api_key="g-key", http_options=types.HttpOptions(base_url=url))
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from omnirelay.testing._fake_gemini_answer import (
    GeminiAnswer,
    build_gemini_answer,
    fragments,
    response_body,
    usage_metadata,
)
from omnirelay.testing._fake_gemini_models import embedding, model_info, model_page, supports
from omnirelay.testing._fake_gemini_request import GeminiError, camel_case, generate_problem, prompt_tokens
from omnirelay.testing._recording import RecordedRequest, record_json

__all__ = ["FakeGemini", "FakeGeminiKnobs", "run_fake_gemini"]

_Handler = Callable[[Request, str, Any], Awaitable[Response]]


@dataclass
class FakeGeminiKnobs:
    latency_s: float = 0.0
    status: int | None = None
    error_message: str = "fake upstream error"
    fail_times: int | None = None
    reset_before_first_chunk: bool = False
    cut_stream_after: int | None = None
    """Drop a stream after this many fragments."""
    fail_stream_after: int | None = None
    """Send a ``{"error": …}`` fragment (500 INTERNAL) after this many fragments, then end the stream."""
    chunk_delay_s: float = 0.0
    reply: str | None = None
    chunks: int | None = None
    """Text fragments per streamed answer (default 3)."""
    api_key: str | None = None
    include_usage: bool = True
    usage_override: dict[str, Any] | None = None
    """Fields laid over the final ``usageMetadata``: an upstream that lies."""
    cached_tokens: int = 0
    """``cachedContentTokenCount`` (a part of ``promptTokenCount``)."""
    thoughts_tokens: int | None = None
    """``thoughtsTokenCount`` when the model thinks (default: the words of its thought)."""
    tool_use_prompt_tokens: int = 0
    finish_reason: str | None = None
    """Force this ``finishReason`` (``SAFETY`` and the other blocking reasons also drop the content)."""
    prompt_block_reason: str | None = None
    """Block every prompt: ``promptFeedback.blockReason`` and no candidates."""
    function_call_ids: bool = False
    """Put an ``id`` on ``functionCall`` parts (the Gemini API often leaves it out)."""
    require_thought_signatures: bool | None = None
    """400 when a current-turn ``functionCall`` comes back unsigned (None: only for ``gemini-3*`` models)."""
    models: list[str] = field(
        default_factory=lambda: ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash", "gemini-embedding-001"]
    )


class _Drop(Exception):
    """Raised inside a streamed body to make uvicorn drop the connection (knob)."""


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _frame(body: dict[str, Any], first: bool, sse: bool) -> bytes:
    if sse:
        return b"data: " + orjson.dumps(body) + b"\r\n\r\n"
    return (b"[" if first else b"\r\n,") + orjson.dumps(body)


class FakeGemini:
    def __init__(self, knobs: FakeGeminiKnobs | None = None) -> None:
        self.knobs = knobs or FakeGeminiKnobs()
        self.requests: list[RecordedRequest] = []
        routes = []
        for version in ("v1beta", "v1"):
            routes += [
                Route(f"/{version}/models", self._guarded(self._list), methods=["GET"]),
                Route(f"/{version}/models/{{name}}", self._guarded(self._get), methods=["GET"]),
                Route(f"/{version}/models/{{name}}", self._guarded(self._post), methods=["POST"]),
            ]
        self.app = Starlette(routes=routes)
        self._methods: dict[str, _Handler] = {
            "generateContent": self._generate,
            "streamGenerateContent": self._generate,
            "countTokens": self._count,
            "embedContent": self._embed,
            "batchEmbedContents": self._batch_embed,
        }

    def _guarded(self, handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except GeminiError as exc:
                return _json(exc.body(), exc.code)

        return guarded

    async def _open(self, request: Request) -> Any:
        """Record the request (its query too) and raise what the key and the fault knobs ask for."""
        body = await record_json(request, self.requests)
        if request.url.query:
            last = self.requests[-1]
            self.requests[-1] = RecordedRequest(
                last.method, f"{last.path}?{request.url.query}", last.headers, last.json
            )
        knobs = self.knobs
        key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
        if knobs.api_key is not None and not key:
            raise GeminiError(
                403,
                "Method doesn't allow unregistered callers (callers without established identity). Please use API "
                "Key or other form of API consumer identity to call this API.",
            )
        if knobs.api_key is not None and key != knobs.api_key:
            detail = {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}
            raise GeminiError(
                400, "API key not valid. Please pass a valid API key.", [{**detail, "domain": "googleapis.com"}]
            )
        if knobs.status is not None and (knobs.fail_times is None or knobs.fail_times > 0):
            if knobs.fail_times is not None:
                knobs.fail_times -= 1
            raise GeminiError(knobs.status, knobs.error_message)
        return body

    async def _list(self, request: Request) -> Response:
        await self._open(request)
        query = request.query_params
        return _json(model_page(self.knobs.models, query.get("pageSize"), query.get("pageToken")))

    async def _get(self, request: Request) -> Response:
        await self._open(request)
        model = request.path_params["name"]
        if model not in self.knobs.models:
            raise GeminiError(404, f"models/{model} is not found for API version {request.url.path.split('/')[1]}.")
        return _json(model_info(model))

    async def _post(self, request: Request) -> Response:
        body = await self._open(request)
        model, _, method = request.path_params["name"].partition(":")
        handler = self._methods.get(method)
        if handler is None:
            raise GeminiError(404, f"Method not found: models.{method or '(none)'}.")
        supports(self.knobs.models, model, method, request.url.path.split("/")[1])
        if not isinstance(body, dict):
            raise GeminiError(400, "Invalid JSON payload received. Expected an object.")
        if self.knobs.latency_s:
            await asyncio.sleep(self.knobs.latency_s)
        return await handler(request, model, camel_case(body))

    async def _generate(self, request: Request, model: str, body: Any) -> Response:
        knobs = self.knobs
        required = knobs.require_thought_signatures
        generate_problem(body, model, model.startswith("gemini-3") if required is None else required)
        prompt = prompt_tokens(body["contents"], body.get("systemInstruction"))
        answer = build_gemini_answer(body, model, prompt, knobs)
        response_id = secrets.token_urlsafe(12)
        streamed = request.path_params["name"].endswith(":streamGenerateContent")
        sse = request.query_params.get("alt") == "sse"
        if knobs.prompt_block_reason is not None:
            blocked = self._blocked(answer, response_id)
            return (
                StreamingResponse(self._frames([blocked], sse), media_type=_media(sse)) if streamed else _json(blocked)
            )
        if streamed:
            return StreamingResponse(self._stream(answer, response_id, sse), media_type=_media(sse))
        if knobs.reset_before_first_chunk:
            return StreamingResponse(self._frames([], True), media_type="application/json")
        usage = usage_metadata(answer, knobs) if knobs.include_usage else None
        return _json(response_body(answer, answer.parts(), True, usage, response_id))

    def _blocked(self, answer: GeminiAnswer, response_id: str) -> dict[str, Any]:
        prompt = max(answer.prompt_tokens, self.knobs.cached_tokens)
        blocked: dict[str, Any] = {"promptFeedback": {"blockReason": self.knobs.prompt_block_reason}}
        if self.knobs.include_usage:
            blocked["usageMetadata"] = {"promptTokenCount": prompt, "totalTokenCount": prompt}
        return {**blocked, "modelVersion": answer.model, "responseId": response_id}

    def _stream(self, answer: GeminiAnswer, response_id: str, sse: bool) -> AsyncIterator[bytes]:
        bodies = []
        for parts, last in fragments(answer, self.knobs.chunks):
            usage = usage_metadata(answer, self.knobs, last) if self.knobs.include_usage else None
            bodies.append(response_body(answer, parts, last, usage, response_id))
        return self._frames(bodies, sse)

    async def _frames(self, bodies: list[dict[str, Any]], sse: bool) -> AsyncIterator[bytes]:
        knobs = self.knobs
        if knobs.reset_before_first_chunk:
            raise _Drop("connection dropped before the first chunk (knob)")
        for sent, body in enumerate(bodies):
            if knobs.cut_stream_after is not None and sent >= knobs.cut_stream_after:
                raise _Drop("stream cut (knob)")
            if knobs.fail_stream_after is not None and sent >= knobs.fail_stream_after:
                yield _frame(GeminiError(500, knobs.error_message).body(), sent == 0, sse)
                break
            if knobs.chunk_delay_s and sent:
                await asyncio.sleep(knobs.chunk_delay_s)
            yield _frame(body, sent == 0, sse)
        if not sse:
            yield b"]" if bodies else b"[]"

    async def _count(self, request: Request, model: str, body: Any) -> Response:
        nested = body.get("generateContentRequest")
        unknown = sorted(set(body) - {"contents", "generateContentRequest"})
        if unknown:
            raise GeminiError(400, f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find field.')
        if nested is not None:
            if not isinstance(nested, dict):
                raise GeminiError(
                    400, "Invalid JSON payload received. Expected an object at 'generate_content_request'."
                )
            generate_problem({k: v for k, v in nested.items() if k != "model"}, model, False)
            total = prompt_tokens(nested["contents"], nested.get("systemInstruction"))
        else:
            generate_problem(body, model, False)
            total = prompt_tokens(body["contents"])
        return _json({"totalTokens": total, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": total}]})

    async def _embed(self, request: Request, model: str, body: Any) -> Response:
        return _json({"embedding": embedding(body, model, "EmbedContentRequest")})

    async def _batch_embed(self, request: Request, model: str, body: Any) -> Response:
        requests = body.get("requests")
        if set(body) - {"requests"} or not isinstance(requests, list) or not requests:
            raise GeminiError(400, "* BatchEmbedContentsRequest.requests: requests is not specified")
        values = [embedding(one, model, f"BatchEmbedContentsRequest.requests[{i}]") for i, one in enumerate(requests)]
        return _json({"embeddings": values})


def _media(sse: bool) -> str:
    return "text/event-stream" if sse else "application/json"


def run_fake_gemini(host: str, port: int, knobs: FakeGeminiKnobs) -> None:
    """Blocking: serve a :class:`FakeGemini` on ``host:port`` (``omnirelay fake-upstream gemini``)."""
    uvicorn.run(FakeGemini(knobs).app, host=host, port=port, log_level="warning", access_log=False)
