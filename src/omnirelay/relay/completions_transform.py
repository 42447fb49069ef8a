"""Pure functions between the legacy ``/v1/completions`` dialect and OpenAI chat completions.

An ``openai`` channel receives a completion request as it is (``relay/completions.py``); any
other upstream (Anthropic, Gemini, the local model) only speaks chat, so the prompt becomes one
user message and the answer comes back as ``text_completion`` objects. What chat cannot express
is refused naming the field: ``echo``, ``suffix``, ``best_of`` above 1, ``logprobs``, token-id
prompts, and several prompts in one streamed request (unstreamed, each prompt is one chat call).
"""

from __future__ import annotations

from typing import Any

from omnirelay.errors import InvalidRequest, UpstreamRejected

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "chat_bodies_from_completion",
    "completion_chunk_from_chat",
    "completion_from_chats",
    "validate_completions_body",
]

DEFAULT_MAX_TOKENS = 16
"""OpenAI's default for ``/v1/completions`` (chat has none): a converted request keeps it."""

_PASSED_ON = (
    "max_tokens", "temperature", "top_p", "n", "stop", "presence_penalty", "frequency_penalty",
    "logit_bias", "seed", "user", "stream", "stream_options",
)  # fmt: skip
"""Fields with the same meaning in both dialects."""


def _is_tokens(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, int) for v in value)


def validate_completions_body(body: Any) -> str:
    """The requested model, or a clear 400 for a body that is not a completion request."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("You must provide a model parameter.", param="model")
    prompt = body.get("prompt", "")
    valid = (
        isinstance(prompt, str)
        or _is_tokens(prompt)
        or (isinstance(prompt, list) and bool(prompt) and all(isinstance(p, str) or _is_tokens(p) for p in prompt))
    )
    if not valid:
        raise InvalidRequest(
            "'prompt' must be a string, a list of strings, a list of token ids or a list of token-id lists.",
            param="prompt",
        )
    if body.get("stream") is True and isinstance(body.get("best_of"), int) and body["best_of"] > 1:
        raise InvalidRequest("'best_of' cannot be used with 'stream'.", param="best_of")
    return model


def _refused(message: str, param: str) -> UpstreamRejected:
    """A 400 about the request, raised inside a channel attempt: no failover, the breaker is untouched."""
    return UpstreamRejected(message, status_code=400, type="invalid_request_error", code=None, param=param)


def _prompt_texts(prompt: Any, *, stream: bool) -> list[str]:
    if isinstance(prompt, str):
        return [prompt]
    if _is_tokens(prompt) or (isinstance(prompt, list) and any(_is_tokens(p) for p in prompt)):
        raise _refused(
            "This model's channel speaks chat, not token ids: send 'prompt' as text (token-id prompts "
            "work only on OpenAI channels).",
            "prompt",
        )
    texts = [str(p) for p in prompt] if isinstance(prompt, list) else [""]
    if stream and len(texts) > 1:
        raise _refused(
            "This model's channel speaks chat: several prompts cannot be streamed in one request. Send one "
            "request per prompt, or leave 'stream' off (several streamed prompts work only on OpenAI channels).",
            "prompt",
        )
    return texts


def _check_convertible(body: dict[str, Any]) -> None:
    if body.get("echo") is True:
        raise _refused("'echo' is not supported for this model (its channel speaks chat).", "echo")
    if body.get("suffix"):
        raise _refused("'suffix' is not supported for this model (its channel speaks chat).", "suffix")
    best_of = body.get("best_of")
    if isinstance(best_of, int) and best_of > 1:
        raise _refused("'best_of' is not supported for this model (its channel speaks chat).", "best_of")
    if body.get("logprobs") is not None:
        raise _refused("'logprobs' is not supported for this model (its channel speaks chat).", "logprobs")


def chat_bodies_from_completion(body: dict[str, Any], *, stream: bool) -> list[dict[str, Any]]:
    """The chat requests a completion request becomes: one per prompt, each prompt the one user message."""
    _check_convertible(body)
    common = {name: body[name] for name in _PASSED_ON if body.get(name) is not None}
    common.setdefault("max_tokens", DEFAULT_MAX_TOKENS)
    return [
        {"model": body["model"], "messages": [{"role": "user", "content": text}], **common}
        for text in _prompt_texts(body.get("prompt", ""), stream=stream)
    ]


def _choice_text(choice: dict[str, Any], part: str) -> str:
    message = choice.get(part)
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, str) else ""


def _finish(reason: Any) -> Any:
    return "stop" if reason == "tool_calls" else reason


def completion_from_chats(chats: list[dict[str, Any]], model: str) -> dict[str, Any]:
    """One ``text_completion`` object from the chat completions of each prompt, in prompt order.

    Choices are numbered prompt by prompt (index = prompt index · n + k, as OpenAI does); the usage
    is the sum of theirs. ``model`` is the name the client asked for."""
    first = chats[0]
    choices: list[dict[str, Any]] = []
    for chat in chats:
        offset = len(choices)
        choices.extend(
            {
                "text": _choice_text(c, "message"),
                "index": offset + c.get("index", i),
                "logprobs": None,
                "finish_reason": _finish(c.get("finish_reason")),
            }
            for i, c in enumerate(chat.get("choices") or ())
            if isinstance(c, dict)
        )
    answer: dict[str, Any] = {
        "id": _completion_id(first.get("id")),
        "object": "text_completion",
        "created": first.get("created"),
        "model": model,
        "choices": choices,
    }
    if first.get("system_fingerprint"):
        answer["system_fingerprint"] = first["system_fingerprint"]
    usages = [chat.get("usage") for chat in chats]
    if all(isinstance(u, dict) for u in usages):
        answer["usage"] = usages[0] if len(usages) == 1 else _summed(usages)
    return answer


def _summed(usages: list[Any]) -> dict[str, int]:
    names = ("prompt_tokens", "completion_tokens", "total_tokens")
    return {name: sum(int(u.get(name) or 0) for u in usages) for name in names}


def completion_chunk_from_chat(chunk: dict[str, Any], model: str) -> dict[str, Any] | None:
    """One streamed ``text_completion`` chunk from a chat chunk; None for a chunk that carries nothing
    (the role-only first chunk)."""
    choices = [
        {
            "text": _choice_text(c, "delta"),
            "index": c.get("index", 0),
            "logprobs": None,
            "finish_reason": _finish(c.get("finish_reason")),
        }
        for c in chunk.get("choices") or ()
        if isinstance(c, dict)
    ]
    usage = chunk.get("usage")
    if choices and all(not c["text"] and c["finish_reason"] is None for c in choices) and not usage:
        return None
    converted: dict[str, Any] = {
        "id": _completion_id(chunk.get("id")),
        "object": "text_completion",
        "created": chunk.get("created"),
        "model": model,
        "choices": choices,
    }
    if "usage" in chunk:
        converted["usage"] = usage
    return converted


def _completion_id(chat_id: Any) -> str:
    text = chat_id if isinstance(chat_id, str) and chat_id else "upstream"
    return "cmpl-" + text.removeprefix("chatcmpl-")
