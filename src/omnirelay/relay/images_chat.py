"""Image models through ``/v1/chat/completions``, the way aggregator platforms offer them.

A model listed in ``images.chat_models`` draws instead of chatting: the last user message
is the prompt (``n``, ``size``, ``quality``, ``style``, ``background`` and ``output_format``
may ride along in the body), and the assistant's answer is the images as markdown,
``![image](url)``, linking to copies the gateway keeps (:mod:`omnirelay.relay.images`).
A stream carries the same answer in one content chunk: an image arrives whole.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import orjson

from omnirelay.errors import InvalidRequest
from omnirelay.relay.images import ImageRequest, ImagesOutcome, generation_request

__all__ = ["chat_completion", "chat_image_request", "chat_stream_body"]

_PASSED = ("n", "size", "quality", "style", "background", "output_format")


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return " ".join(p for p in parts if isinstance(p, str))
    return ""


def chat_image_request(body: Any, size: int) -> ImageRequest:
    """The image request a chat completion body stands for; its last user message is the prompt."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("'messages' must be a non-empty array of messages.", param="messages")
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    prompt = _text(users[-1].get("content")).strip() if users else ""
    if not prompt:
        raise InvalidRequest("The last user message must have text: it is the image prompt.", param="messages")
    fields = {"model": body.get("model"), "prompt": prompt, **{k: body[k] for k in _PASSED if k in body}}
    return replace(generation_request(fields, size), response_format="url")


def _markdown(outcome: ImagesOutcome) -> str:
    return "\n\n".join(f"![image]({item['url']})" for item in outcome.data if "url" in item)


def _usage(outcome: ImagesOutcome) -> dict[str, int]:
    prompt = outcome.usage.prompt_tokens if outcome.usage else 0
    completion = outcome.usage.completion_tokens if outcome.usage else 0
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def chat_completion(model: str, outcome: ImagesOutcome, completion_id: str) -> dict[str, Any]:
    """A ``chat.completion`` whose assistant message is the images as markdown."""
    message = {"role": "assistant", "content": _markdown(outcome), "refusal": None}
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
        "usage": _usage(outcome),
    }


def chat_stream_body(model: str, outcome: ImagesOutcome, completion_id: str, *, include_usage: bool) -> bytes:
    """The same answer as server-sent ``chat.completion.chunk`` events, ``[DONE]`` included."""
    base = {"id": completion_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model}

    def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    events = [
        chunk({"role": "assistant", "content": ""}, None),
        chunk({"content": _markdown(outcome)}, None),
        chunk({}, "stop"),
    ]
    if include_usage:
        events.append({**base, "choices": [], "usage": _usage(outcome)})
    return b"".join(b"data: " + orjson.dumps(e) + b"\n\n" for e in events) + b"data: [DONE]\n\n"
