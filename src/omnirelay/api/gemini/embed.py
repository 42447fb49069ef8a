"""``:embedContent`` and ``:batchEmbedContents``: native on Gemini channels, through embeddings elsewhere.

On a channel that speaks Gemini the request is relayed untouched. On any other channel it becomes
one OpenAI ``/embeddings`` request (every text in ``input``, ``outputDimensionality`` as
``dimensions``) and the vectors come back in Gemini's shape, in order. Only text parts can be
converted. Gemini reports no usage for embeddings: a native call is billed on the gateway's count
of its texts, a converted one on the upstream's usage (else that count).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.gemini.intake import identify, parse_body
from omnirelay.api.gemini.names import camel_case
from omnirelay.channels.model import Channel
from omnirelay.errors import InvalidRequest
from omnirelay.providers.base import EmbeddingsProvider, EmbeddingsResult, Forwarder, Usage
from omnirelay.relay.chat import upstream_call
from omnirelay.relay.gate import JobRequest
from omnirelay.relay.gemini import NATIVE_OR_EMBEDDINGS, GeminiCall, GeminiRelay, read_forwarded
from omnirelay.relay.gemini_tokens import count_gemini_text

__all__ = ["embed_content", "embedding_requests", "gemini_embeddings", "openai_embeddings_body"]

JSONObject = dict[str, Any]


def embedding_requests(body: Any, method: str) -> list[JSONObject]:
    """The camelCased requests to embed (one for ``embedContent``), each with its ``content``."""
    request = camel_case(body) if isinstance(body, dict) else None
    if request is None:
        raise InvalidRequest("Invalid JSON payload received. Expected an object.")
    requests = request.get("requests") if method == "batchEmbedContents" else [request]
    if not isinstance(requests, list) or not requests:
        raise InvalidRequest("* BatchEmbedContentsRequest.requests: requests is not specified", param="requests")
    for i, one in enumerate(requests):
        content = one.get("content") if isinstance(one, dict) else None
        if not isinstance(content, dict) or not isinstance(content.get("parts"), list) or not content["parts"]:
            raise InvalidRequest(f"* requests[{i}].content: content is not specified", param="content")
    return requests


def _text(content: JSONObject) -> str:
    texts: list[str] = []
    for part in content["parts"]:
        if not isinstance(part, dict) or not isinstance(part.get("text"), str):
            raise InvalidRequest("Only text parts can be embedded by this model's upstream.", param="content")
        texts.append(part["text"])
    return "\n".join(texts)


def openai_embeddings_body(requests: list[JSONObject], upstream_model: str) -> JSONObject:
    body: JSONObject = {
        "model": upstream_model,
        "input": [_text(r["content"]) for r in requests],
        "encoding_format": "float",
    }
    dimensions = requests[0].get("outputDimensionality")
    if isinstance(dimensions, int) and dimensions > 0:
        body["dimensions"] = dimensions
    return body


def gemini_embeddings(answer: Any, method: str) -> JSONObject:
    """An OpenAI embeddings answer in Gemini's shape (vectors in ``index`` order)."""
    data = answer.get("data") if isinstance(answer, dict) else None
    items = sorted((d for d in data or () if isinstance(d, dict)), key=lambda d: int(d.get("index") or 0))
    vectors = [{"values": item.get("embedding") or []} for item in items]
    if method == "embedContent":
        return {"embedding": vectors[0] if vectors else {"values": []}}
    return {"embeddings": vectors}


async def embed_content(request: Request, model: str, method: str) -> Response:
    runtime, caller = identify(request)
    raw, body = await parse_body(request, runtime)
    requests = embedding_requests(body, method)
    call = GeminiCall(model, method, raw, body)
    relay = GeminiRelay(runtime.gate)
    request_id = runtime.request_ids.next()
    job = await relay.begin(caller, JobRequest(f"gemini.{method}", model, len(raw), 0), request_id)

    async def native(forwarder: Forwarder, channel: Channel) -> bytes:
        forward = relay.forward_call(call, channel, channel.upstream_model(model), stream=False)
        return await read_forwarded(await forwarder.forward(forward))

    async def other(provider: EmbeddingsProvider, channel: Channel) -> EmbeddingsResult:
        prepared = openai_embeddings_body(requests, channel.upstream_model(model))
        return await provider.embed(upstream_call(channel, prepared))

    result: bytes | EmbeddingsResult = await relay.run(job, NATIVE_OR_EMBEDDINGS, native, other)
    counted = Usage(count_gemini_text(runtime.chat.tokens, [r["content"] for r in requests]), 0)
    if isinstance(result, bytes):
        await job.succeed(counted)
        return Response(result, media_type="application/json", headers={"x-request-id": request_id})
    await job.succeed(result.usage or counted)
    try:
        upstream_answer = orjson.loads(result.raw)
    except orjson.JSONDecodeError:
        upstream_answer = {}
    answer = gemini_embeddings(upstream_answer, method)
    return Response(orjson.dumps(answer), media_type="application/json", headers={"x-request-id": request_id})
