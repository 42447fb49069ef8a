"""Pure functions between OpenAI chat completion wire objects and the local chat model.

A request becomes the model's messages and :class:`Sampling` (or a 400 naming the field it
cannot honour); the model's text becomes a ``chat.completion`` or ``chat.completion.chunk``
payloads, the shapes the official SDKs parse.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from omnirelay.errors import UpstreamRejected
from omnirelay.providers.local.smollm import Generation, Sampling

__all__ = ["CHAT_MODEL", "Answer", "chat_messages", "rejected", "sampling"]

CHAT_MODEL = "smollm2-135m-instruct"
DEFAULT_MAX_TOKENS = 256
_DEFAULT_TEMPERATURE, _DEFAULT_TOP_P = 0.2, 0.9  # SmolLM2's recommended sampling, when the request names none
_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
_NO_TOOLS = f"`{CHAT_MODEL}` cannot call tools or functions; send text messages only."


def rejected(message: str, param: str | None) -> UpstreamRejected:
    return UpstreamRejected(message, status_code=400, type="invalid_request_error", code=None, param=param)


def _text(content: Any) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "text" for p in content):
        return "\n".join(str(p.get("text") or "") for p in content)
    raise rejected(f"`{CHAT_MODEL}` reads text only: image, audio and file parts need another model.", "messages")


def _refuse_unsupported(body: dict[str, Any]) -> None:
    for name in ("tools", "functions"):
        if body.get(name):
            raise rejected(_NO_TOOLS, name)
    if body.get("n") not in (None, 1):
        raise rejected(f"`{CHAT_MODEL}` answers one choice per request; 'n' must be 1.", "n")
    response_format = body.get("response_format")
    if response_format is not None and (not isinstance(response_format, dict) or response_format.get("type") != "text"):
        raise rejected(f"`{CHAT_MODEL}` answers in plain text; JSON mode is not available.", "response_format")
    if body.get("logprobs"):
        raise rejected(f"`{CHAT_MODEL}` does not report log probabilities.", "logprobs")


def chat_messages(body: dict[str, Any]) -> list[dict[str, str]]:
    """The conversation as the chat template takes it, or a 400 for what the model cannot read."""
    _refuse_unsupported(body)
    messages: list[dict[str, str]] = []
    for message in body.get("messages") or ():
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            raise rejected(f"`{CHAT_MODEL}` takes system, developer, user and assistant messages.", "messages")
        if message.get("tool_calls") or message.get("function_call"):
            raise rejected(_NO_TOOLS, "messages")
        messages.append({"role": _ROLES[message["role"]], "content": _text(message.get("content"))})
    return messages


def _number(body: dict[str, Any], name: str, default: float, highest: float) -> float:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= highest:
        raise rejected(f"'{name}' must be a number from 0 to {highest:g}.", name)
    return float(value)


def _stop(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list) and len(value) <= 4 and all(isinstance(s, str) for s in value):
        return tuple(s for s in value if s)
    raise rejected("'stop' must be a string or a list of up to 4 strings.", "stop")


def sampling(body: dict[str, Any]) -> Sampling:
    name = "max_completion_tokens" if body.get("max_completion_tokens") is not None else "max_tokens"
    limit = body.get(name)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise rejected(f"'{name}' must be a positive integer.", name)
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise rejected("'seed' must be an integer.", "seed")
    return Sampling(
        max_tokens=limit or DEFAULT_MAX_TOKENS,
        temperature=_number(body, "temperature", _DEFAULT_TEMPERATURE, 2),
        top_p=_number(body, "top_p", _DEFAULT_TOP_P, 1),
        stop=_stop(body.get("stop")),
        seed=seed,
    )


def _usage(generation: Generation) -> dict[str, int]:
    prompt, completion = generation.prompt_tokens, generation.completion_tokens
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer's identity, shared by the completion or by every chunk of its stream."""

    model: str
    id: str = field(default_factory=lambda: "chatcmpl-" + secrets.token_hex(12))
    created: int = field(default_factory=lambda: int(time.time()))

    def completion(self, text: str, generation: Generation) -> bytes:
        message = {"role": "assistant", "content": text, "refusal": None}
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": generation.finish_reason}
        return orjson.dumps({**self._head("chat.completion"), "choices": [choice], "usage": _usage(generation)})

    def chunk(self, delta: dict[str, str], finish_reason: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return orjson.dumps({**self._head("chat.completion.chunk"), "choices": [choice]})

    def usage_chunk(self, generation: Generation) -> bytes:
        return orjson.dumps({**self._head("chat.completion.chunk"), "choices": [], "usage": _usage(generation)})

    def _head(self, kind: str) -> dict[str, Any]:
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model}
