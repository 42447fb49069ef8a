"""The fake OpenAI upstream's legacy endpoints: ``/v1/completions`` and ``/v1/moderations``.

Completions answer deterministically (``"Hello! You said: <prompt>"`` or the ``reply`` knob, cut at
``max_tokens`` words, default 16), honour ``n``, several prompts (choice index = prompt index · n +
k), ``echo``, ``suffix`` (appended) and ``logprobs`` (a minimal but well-formed object), and stream
``text_completion`` chunks with the final usage chunk when ``stream_options.include_usage`` is set.
Usage counts words (a token-id prompt counts its ids). Moderations flag inputs containing
``kill`` or ``hate`` and always emit all 13 categories in the three maps. The chat fake's
fault knobs (``status``, ``fail_times``, ``api_key``, ``latency_s``, ``chunk_delay_s``,
``reset_before_first_chunk`` for streams) apply.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

if TYPE_CHECKING:
    from omnirelay.testing.fake_openai import FakeOpenAI

__all__ = ["legacy_routes"]

CATEGORIES = (
    "harassment", "harassment/threatening", "hate", "hate/threatening", "illicit", "illicit/violent",
    "self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "sexual/minors", "violence",
    "violence/graphic",
)  # fmt: skip
_TRIGGERS = {"kill": "violence", "hate": "hate"}


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _bad(message: str, param: str) -> Response:
    error = {"message": message, "type": "invalid_request_error", "param": param, "code": None}
    return _json({"error": error}, 400)


def _prompts(prompt: Any) -> list[Any]:
    if isinstance(prompt, list) and prompt and not isinstance(prompt[0], int):
        return list(prompt)
    return [prompt if prompt is not None else "<|endoftext|>"]


def _prompt_text(prompt: Any) -> str:
    return prompt if isinstance(prompt, str) else " ".join(f"<{t}>" for t in prompt)


def _tokens(prompt: Any) -> int:
    return len(prompt.split()) if isinstance(prompt, str) else len(prompt)


def _words(body: dict[str, Any], prompt: Any, reply: str | None) -> list[str]:
    text = reply if reply is not None else f"Hello! You said: {_prompt_text(prompt)}"
    limit = body.get("max_tokens")
    words = text.split(" ")
    return words[: limit if isinstance(limit, int) and limit > 0 else 16]


def _logprobs(words: list[str]) -> dict[str, Any]:
    offsets = [sum(len(w) + 1 for w in words[:i]) for i in range(len(words))]
    return {
        "tokens": words,
        "token_logprobs": [-0.1] * len(words),
        "top_logprobs": [{w: -0.1} for w in words],
        "text_offset": offsets,
    }


def _choices(body: dict[str, Any], reply: str | None) -> tuple[list[dict[str, Any]], int, int]:
    wanted = body.get("n")
    n = wanted if isinstance(wanted, int) and wanted > 0 else 1
    choices: list[dict[str, Any]] = []
    prompt_total = completion_total = 0
    for p_index, prompt in enumerate(_prompts(body.get("prompt"))):
        prompt_total += _tokens(prompt)
        for k in range(n):
            words = _words(body, prompt, reply)
            completion_total += len(words)
            text = " ".join(words) + (str(body["suffix"]) if body.get("suffix") else "")
            if body.get("echo") is True:
                text = _prompt_text(prompt) + text
            choice = {"text": text, "index": p_index * n + k, "logprobs": None, "finish_reason": "length"}
            if body.get("logprobs") is not None:
                choice["logprobs"] = _logprobs(words)
            limit = body.get("max_tokens")
            if not (isinstance(limit, int) and len(words) >= limit):
                choice["finish_reason"] = "stop"
            choices.append(choice)
    return choices, prompt_total, completion_total


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


async def _stream(fake: FakeOpenAI, body: dict[str, Any], base: dict[str, Any]) -> AsyncIterator[bytes]:
    choices, prompt, completion = _choices(body, fake.knobs.reply)
    if fake.knobs.reset_before_first_chunk:
        raise ConnectionResetError("connection dropped before the first chunk (knob)")
    for choice in choices:
        words = choice["text"].split(" ")
        for i, word in enumerate(words):
            if fake.knobs.chunk_delay_s:
                await asyncio.sleep(fake.knobs.chunk_delay_s)
            piece = {"text": word if i == 0 else " " + word, "index": choice["index"], "logprobs": None}
            last = i == len(words) - 1
            piece["finish_reason"] = choice["finish_reason"] if last else None
            yield b"data: " + orjson.dumps({**base, "choices": [piece]}) + b"\n\n"
    options = body.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage") is True and fake.knobs.include_usage:
        yield b"data: " + orjson.dumps({**base, "choices": [], "usage": _usage(prompt, completion)}) + b"\n\n"
    yield b"data: [DONE]\n\n"


def _completions(fake: FakeOpenAI) -> Any:
    async def handle(request: Request) -> Response:
        body = await fake._record(request)
        refusal = fake._refusal(request)
        if refusal is not None:
            return refusal
        if not isinstance(body, dict) or not body.get("model"):
            return _bad("Missing required parameter: 'model'.", "model")
        if body.get("stream") is True and isinstance(body.get("best_of"), int) and body["best_of"] > 1:
            return _bad("Cannot stream results with best_of greater than 1.", "best_of")
        if fake.knobs.latency_s:
            await asyncio.sleep(fake.knobs.latency_s)
        base = {"id": "cmpl-" + secrets.token_hex(8), "object": "text_completion", "created": int(time.time())}
        base["model"] = body["model"]
        if body.get("stream") is True:
            return StreamingResponse(_stream(fake, body, base), media_type="text/event-stream")
        choices, prompt, completion = _choices(body, fake.knobs.reply)
        answer = {**base, "system_fingerprint": "fp_fake", "choices": choices}
        if fake.knobs.include_usage:
            answer["usage"] = _usage(prompt, completion)
        return _json(answer)

    return handle


def _moderation(texts: list[str], applied: list[str]) -> dict[str, Any]:
    hits = {category for word, category in _TRIGGERS.items() if any(word in t.lower() for t in texts)}
    return {
        "flagged": bool(hits),
        "categories": {c: c in hits for c in CATEGORIES},
        "category_scores": {c: 0.91 if c in hits else 0.001 for c in CATEGORIES},
        "category_applied_input_types": {c: list(applied) for c in CATEGORIES},
    }


def _moderations(fake: FakeOpenAI) -> Any:
    async def handle(request: Request) -> Response:
        body = await fake._record(request)
        refusal = fake._refusal(request)
        if refusal is not None:
            return refusal
        value = body.get("input") if isinstance(body, dict) else None
        if isinstance(value, str):
            results = [_moderation([value], ["text"])]
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            results = [_moderation([v], ["text"]) for v in value]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            texts = [str(v.get("text") or "") for v in value if v.get("type") == "text"]
            kinds = sorted({"image" if v.get("type") == "image_url" else "text" for v in value}, reverse=True)
            results = [_moderation(texts, kinds)]
        else:
            return _bad("'input' must be a string, a list of strings or a list of parts.", "input")
        model = body.get("model") or "omni-moderation-latest"
        return _json({"id": "modr-" + secrets.token_hex(6), "model": model, "results": results})

    return handle


def legacy_routes(fake: FakeOpenAI) -> list[Route]:
    return [
        Route("/v1/completions", _completions(fake), methods=["POST"]),
        Route("/v1/moderations", _moderations(fake), methods=["POST"]),
    ]
