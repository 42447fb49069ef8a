"""Pure conversions for the upstream direction: an OpenAI client in front of an ``anthropic`` channel.

:func:`anthropic_request_from_openai` turns the relayed OpenAI chat completion request into an
Anthropic Messages request; :func:`openai_completion_from_anthropic` turns the answer back. What
Anthropic cannot express (``n`` > 1, audio parts) is refused with a 400 that is not retried.
"""

from __future__ import annotations

from typing import Any, NoReturn

import orjson

from omnirelay.billing.amounts import is_count
from omnirelay.errors import UpstreamRejected

__all__ = [
    "anthropic_request_from_openai",
    "openai_completion_from_anthropic",
    "openai_finish_reason",
    "openai_usage",
]

_TOOL_CHOICES = {"auto": "auto", "required": "any", "none": "none"}
_EMPTY_SCHEMA = {"type": "object", "properties": {}}
_USAGE_COUNTS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens")


def _reject(message: str, param: str) -> NoReturn:
    raise UpstreamRejected(message, status_code=400, type="invalid_request_error", code=None, param=param)


def _plain_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text") or "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _data_url(url: str, param: str) -> tuple[str, str]:
    header, _, data = url.partition(",")
    if ";base64" not in header or not data:
        _reject("Only base64 data URLs can be sent to this channel.", param)
    return header[5:].split(";")[0], data


def _image_block(url: Any, param: str) -> dict[str, Any]:
    if not isinstance(url, str) or not url:
        _reject("An image_url part needs a url.", param)
    if url.startswith("data:"):
        media, data = _data_url(url, param)
        return {"type": "image", "source": {"type": "base64", "media_type": media, "data": data}}
    return {"type": "image", "source": {"type": "url", "url": url}}


def _part_block(part: Any, param: str) -> dict[str, Any] | None:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind == "text":
        text = str(part.get("text") or "")
        return {"type": "text", "text": text} if text else None
    if kind == "image_url":
        image = part.get("image_url")
        return _image_block(image.get("url") if isinstance(image, dict) else image, param)
    if kind == "file":
        file = part.get("file")
        data = file.get("file_data") if isinstance(file, dict) else None
        if isinstance(data, str) and data.startswith("data:application/pdf"):
            media, payload = _data_url(data, param)
            return {"type": "document", "source": {"type": "base64", "media_type": media, "data": payload}}
    _reject(f"Content parts of type {kind!r} cannot be sent to this channel.", param)


def _user_blocks(content: Any, param: str) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    if not isinstance(content, list):
        _reject("Message content must be a string or a list of parts.", param)
    blocks = (_part_block(part, f"{param}.{i}") for i, part in enumerate(content))
    return [block for block in blocks if block is not None]


def _tool_input(arguments: Any) -> Any:
    try:
        parsed = orjson.loads(arguments) if isinstance(arguments, str) and arguments else {}
    except orjson.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _assistant_blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    text = _plain_text(message.get("content"))
    blocks: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    for call in message.get("tool_calls") or ():
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            name, arguments = str(function.get("name") or ""), function.get("arguments")
            blocks.append(
                {"type": "tool_use", "id": str(call.get("id") or ""), "name": name, "input": _tool_input(arguments)}
            )
    return blocks


def _append(turns: list[dict[str, Any]], role: str, blocks: list[dict[str, Any]]) -> None:
    """Anthropic turns alternate: a message of the same role as the last one joins it."""
    if not blocks:
        return
    if turns and turns[-1]["role"] == role:
        turns[-1]["content"].extend(blocks)
    else:
        turns.append({"role": role, "content": blocks})


def _simplified(turn: dict[str, Any]) -> dict[str, Any]:
    blocks = turn["content"]
    if len(blocks) == 1 and blocks[0]["type"] == "text":
        return {"role": turn["role"], "content": blocks[0]["text"]}
    return turn


def _conversation(messages: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """System texts, and the turns of the conversation."""
    if not isinstance(messages, list):
        _reject("'messages' must be a list.", "messages")
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role in ("system", "developer"):
            system.append(_plain_text(message.get("content")))
        elif role == "user":
            _append(turns, "user", _user_blocks(message.get("content"), f"messages.{i}.content"))
        elif role == "assistant":
            _append(turns, "assistant", _assistant_blocks(message))
        elif role == "tool":
            result = {"type": "tool_result", "tool_use_id": str(message.get("tool_call_id") or "")}
            _append(turns, "user", [{**result, "content": _plain_text(message.get("content"))}])
        else:
            _reject(f"Messages of role {role!r} cannot be sent to this channel.", f"messages.{i}.role")
    return [s for s in system if s], [_simplified(turn) for turn in turns]


def _tools(tools: Any) -> list[dict[str, Any]]:
    converted: list[dict[str, Any]] = []
    for i, tool in enumerate(tools if isinstance(tools, list) else ()):
        function = tool.get("function") if isinstance(tool, dict) and tool.get("type") == "function" else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            _reject("Only function tools can be sent to this channel.", f"tools.{i}")
        entry: dict[str, Any] = {"name": function["name"], "input_schema": function.get("parameters") or _EMPTY_SCHEMA}
        if isinstance(function.get("description"), str):
            entry["description"] = function["description"]
        converted.append(entry)
    return converted


def _tool_choice(choice: Any, parallel: Any) -> dict[str, Any]:
    if isinstance(choice, str) and choice in _TOOL_CHOICES:
        converted: dict[str, Any] = {"type": _TOOL_CHOICES[choice]}
    elif isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        converted = {"type": "tool", "name": str(choice["function"].get("name") or "")}
    else:
        converted = {"type": "auto"}
    if parallel is False and converted["type"] != "none":
        converted["disable_parallel_tool_use"] = True
    return converted


def _sampling(body: dict[str, Any], out: dict[str, Any]) -> None:
    temperature = body.get("temperature")
    if isinstance(temperature, int | float):
        out["temperature"] = min(float(temperature), 1.0)  # OpenAI's range is 0..2, Anthropic's 0..1
    if body.get("top_p") is not None:
        out["top_p"] = body["top_p"]
    stop = body.get("stop")
    if stop:
        out["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    if isinstance(body.get("user"), str):
        out["metadata"] = {"user_id": body["user"]}
    choices = body.get("n")
    if isinstance(choices, int) and choices > 1:
        _reject("This channel answers one choice per request (n=1).", "n")


_JSON_ONLY = "Answer with one valid JSON object and nothing else: no prose, no code fence."


def _json_mode(response_format: Any) -> list[str]:
    """``json_object`` becomes a system instruction; a JSON schema cannot be guaranteed here: 400."""
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind == "json_object":
        return [_JSON_ONLY]
    if kind == "json_schema":
        _reject(
            "This model is served by an Anthropic channel, which cannot enforce a JSON schema from "
            "response_format; use response_format json_object, or a tool whose input_schema is your schema.",
            "response_format",
        )
    return []


def anthropic_request_from_openai(body: dict[str, Any], default_max_tokens: int) -> dict[str, Any]:
    """An Anthropic Messages request for an OpenAI chat completion request (``max_tokens`` is required there)."""
    system, turns = _conversation(body.get("messages"))
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    out: dict[str, Any] = {
        "model": body.get("model"),
        "messages": turns,
        "max_tokens": limit if isinstance(limit, int) and limit > 0 else default_max_tokens,
    }
    system = [*system, *_json_mode(body.get("response_format"))]
    if system:
        out["system"] = "\n\n".join(system)
    _sampling(body, out)
    if body.get("tools"):
        out["tools"] = _tools(body["tools"])
        if body.get("tool_choice") is not None or body.get("parallel_tool_calls") is False:
            out["tool_choice"] = _tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"))
    if body.get("stream") is True:
        out["stream"] = True
    return out


def openai_finish_reason(stop_reason: Any) -> str:
    if stop_reason in ("max_tokens", "model_context_window_exceeded"):
        return "length"
    if stop_reason == "tool_use":
        return "tool_calls"
    if stop_reason == "refusal":
        return "content_filter"
    return "stop"


def openai_usage(usage: Any) -> dict[str, Any]:
    """OpenAI usage from Anthropic usage: every prompt token counts, cache reads and writes included."""
    usage = usage if isinstance(usage, dict) else {}
    if any(usage.get(name) is not None and not is_count(usage[name]) for name in _USAGE_COUNTS):
        return {}  # not counts (negative, a boolean...): no usage, the gateway counts the call itself

    def count(name: str) -> int:
        value = usage.get(name)
        return value if isinstance(value, int) else 0

    cached = count("cache_read_input_tokens")
    prompt = count("input_tokens") + count("cache_creation_input_tokens") + cached
    completion = count("output_tokens")
    out: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if cached:
        out["prompt_tokens_details"] = {"cached_tokens": cached}
    return out


def openai_completion_from_anthropic(message: dict[str, Any], *, created: int) -> dict[str, Any]:
    """An OpenAI chat completion for an Anthropic message (thinking blocks are left out)."""
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in message.get("content") or ():
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            texts.append(str(block.get("text") or ""))
        elif kind == "tool_use":
            function = {
                "name": str(block.get("name") or ""),
                "arguments": orjson.dumps(block.get("input") or {}).decode(),
            }
            calls.append({"id": str(block.get("id") or ""), "type": "function", "function": function})
    reply: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts or not calls else None}
    if calls:
        reply["tool_calls"] = calls
    return {
        "id": "chatcmpl-" + str(message.get("id") or "0").removeprefix("msg_"),
        "object": "chat.completion",
        "created": created,
        "model": str(message.get("model") or ""),
        "choices": [
            {
                "index": 0,
                "message": reply,
                "logprobs": None,
                "finish_reason": openai_finish_reason(message.get("stop_reason")),
            }
        ],
        "usage": openai_usage(message.get("usage")),
    }
