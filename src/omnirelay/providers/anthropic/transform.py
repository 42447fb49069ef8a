"""Pure conversions for the ingress direction: a Claude client in front of any upstream (no I/O).

:func:`openai_request_from_anthropic` turns a client's Anthropic Messages request into the
OpenAI chat completion request the relay runs; :func:`anthropic_message_from_openai` turns
the OpenAI answer back. A malformed Anthropic body raises :class:`InvalidRequest` naming the
field. The upstream direction (an ``anthropic`` channel) is ``transform_upstream.py``.
"""

from __future__ import annotations

from typing import Any

import orjson

from omnirelay.errors import InvalidRequest
from omnirelay.providers.openai_compat.transform import reasoning_text

__all__ = [
    "anthropic_message_from_openai",
    "as_object",
    "anthropic_stop",
    "anthropic_usage",
    "message_id",
    "openai_request_from_anthropic",
    "reasoning_effort",
    "reasoning_text",
]

_TOOL_CHOICES = {"auto": "auto", "any": "required", "none": "none"}
_EFFORTS = {"low": "low", "medium": "medium", "high": "high", "xhigh": "high", "max": "high"}
_LOW_BUDGET, _HIGH_BUDGET = 4096, 16384
"""``budget_tokens`` below the first is ``low`` effort, from the second on ``high``; ``medium`` between."""
_IGNORED_BLOCKS = frozenset({"thinking", "redacted_thinking"})


def as_object(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (wire input is never trusted)."""
    return value if isinstance(value, dict) else {}


def _require(condition: bool, message: str, param: str) -> None:
    if not condition:
        raise InvalidRequest(message, param=param)


def _text_of_blocks(blocks: list[Any], param: str) -> str:
    texts: list[str] = []
    for i, block in enumerate(blocks):
        _require(isinstance(block, dict) and block.get("type") == "text", "Only text blocks are allowed here.", param)
        text = block.get("text")
        _require(isinstance(text, str), "A text block needs a string 'text'.", f"{param}.{i}.text")
        texts.append(text)
    return "\n".join(texts)


def _system_messages(system: Any) -> list[dict[str, Any]]:
    if system is None or system == "" or system == []:
        return []
    if isinstance(system, str):
        return [{"role": "system", "content": system}]
    _require(isinstance(system, list), "'system' must be a string or a list of text blocks.", "system")
    return [{"role": "system", "content": _text_of_blocks(system, "system")}]


def _image_part(block: dict[str, Any], param: str) -> dict[str, Any]:
    _require(isinstance(block.get("source"), dict), "An image block needs a 'source' object.", f"{param}.source")
    source = as_object(block.get("source"))
    kind = source.get("type")
    if kind == "base64":
        media, data = source.get("media_type"), source.get("data")
        _require(isinstance(media, str) and isinstance(data, str), "A base64 image needs media_type and data.", param)
        return {"type": "image_url", "image_url": {"url": f"data:{media};base64,{data}"}}
    _require(kind == "url" and isinstance(source.get("url"), str), "An image source is base64 or url.", param)
    return {"type": "image_url", "image_url": {"url": source["url"]}}


def _document_part(block: dict[str, Any], param: str) -> dict[str, Any]:
    """A PDF as an OpenAI file part; a plain-text document as text."""
    source = as_object(block.get("source"))
    data = source.get("data")
    _require(isinstance(data, str), "A document needs a base64 or text source.", f"{param}.source")
    if source.get("type") == "text":
        return {"type": "text", "text": data}
    _require(source.get("type") == "base64", "A document source is base64 or text here.", f"{param}.source")
    file = {"file_data": f"data:{source.get('media_type') or 'application/pdf'};base64,{data}"}
    if isinstance(block.get("title"), str):
        file["filename"] = block["title"]
    return {"type": "file", "file": file}


def _collapse(parts: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """Text-only content as one string (what every OpenAI-compatible upstream accepts), else parts."""
    if all(p["type"] == "text" for p in parts):
        return "\n".join(p["text"] for p in parts)
    return parts


def _tool_result(block: dict[str, Any], param: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The tool message for a tool_result block, and its images (OpenAI tool messages carry text only)."""
    call_id = block.get("tool_use_id")
    _require(isinstance(call_id, str) and bool(call_id), "A tool_result needs a tool_use_id.", f"{param}.tool_use_id")
    content = block.get("content")
    texts: list[str] = []
    images: list[dict[str, Any]] = []
    if isinstance(content, str):
        texts.append(content)
    elif isinstance(content, list):
        for i, part in enumerate(content):
            _require(isinstance(part, dict), "Tool result content must be blocks.", f"{param}.content.{i}")
            if part.get("type") == "image":
                images.append(_image_part(part, f"{param}.content.{i}"))
            elif part.get("type") == "text":
                texts.append(str(part.get("text") or ""))
    return {"role": "tool", "tool_call_id": call_id, "content": "\n".join(texts)}, images


def _user_messages(content: Any, param: str) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    _require(isinstance(content, list), "Message content must be a string or a list of blocks.", param)
    tools: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for i, block in enumerate(content):
        where = f"{param}.{i}"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            parts.append({"type": "text", "text": str(block.get("text") or "")})
        elif kind == "image":
            parts.append(_image_part(block, where))
        elif kind == "document":
            parts.append(_document_part(block, where))
        elif kind == "tool_result":
            message, images = _tool_result(block, where)
            tools.append(message)
            parts.extend(images)
        else:
            _require(kind in _IGNORED_BLOCKS, f"Content blocks of type {kind!r} are not supported here.", where)
    return tools + ([{"role": "user", "content": _collapse(parts)}] if parts else [])


def _assistant_message(content: Any, param: str) -> dict[str, Any]:
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    _require(isinstance(content, list), "Message content must be a string or a list of blocks.", param)
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for i, block in enumerate(content):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            texts.append(str(block.get("text") or ""))
        elif kind == "tool_use":
            arguments = orjson.dumps(block.get("input") or {}).decode()
            function = {"name": str(block.get("name") or ""), "arguments": arguments}
            calls.append({"id": str(block.get("id") or ""), "type": "function", "function": function})
        else:
            _require(
                kind in _IGNORED_BLOCKS, f"Content blocks of type {kind!r} are not supported here.", f"{param}.{i}"
            )
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts or not calls else None}
    if calls:
        message["tool_calls"] = calls
    return message


def _messages(messages: Any) -> list[dict[str, Any]]:
    _require(isinstance(messages, list) and bool(messages), "'messages' must be a non-empty list.", "messages")
    converted: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        where = f"messages.{i}"
        role = message.get("role") if isinstance(message, dict) else None
        _require(role in ("user", "assistant"), "A message's role is 'user' or 'assistant'.", f"{where}.role")
        if role == "user":
            converted.extend(_user_messages(message.get("content"), f"{where}.content"))
        else:
            converted.append(_assistant_message(message.get("content"), f"{where}.content"))
    return converted


def _tools(tools: Any) -> list[dict[str, Any]]:
    _require(isinstance(tools, list), "'tools' must be a list.", "tools")
    converted: list[dict[str, Any]] = []
    for i, tool in enumerate(tools):
        _require(isinstance(tool, dict) and isinstance(tool.get("name"), str), "A tool needs a name.", f"tools.{i}")
        schema = tool.get("input_schema")
        _require(
            isinstance(schema, dict),
            f"Tool {tool.get('name')!r} has no input_schema; server tools are not supported here.",
            f"tools.{i}",
        )
        function: dict[str, Any] = {"name": tool["name"], "parameters": schema}
        if isinstance(tool.get("description"), str):
            function["description"] = tool["description"]
        converted.append({"type": "function", "function": function})
    return converted


def _tool_choice(choice: Any) -> Any:
    kind = choice.get("type") if isinstance(choice, dict) else None
    if kind in _TOOL_CHOICES:
        return _TOOL_CHOICES[kind]
    _require(kind == "tool" and isinstance(choice.get("name"), str), "Unknown tool_choice.", "tool_choice")
    return {"type": "function", "function": {"name": choice["name"]}}


def _sampling(body: dict[str, Any], out: dict[str, Any]) -> None:
    for name in ("temperature", "top_p"):
        if body.get(name) is not None:
            out[name] = body[name]
    stops = body.get("stop_sequences")
    if stops:
        _require(isinstance(stops, list), "'stop_sequences' must be a list of strings.", "stop_sequences")
        out["stop"] = stops
    metadata = body.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("user_id"), str):
        out["user"] = metadata["user_id"]


def _tooling(body: dict[str, Any], out: dict[str, Any]) -> None:
    if body.get("tools"):
        out["tools"] = _tools(body["tools"])
    choice = body.get("tool_choice")
    if choice is None:
        return
    out["tool_choice"] = _tool_choice(choice)
    if choice.get("disable_parallel_tool_use") is True and "tools" in out:
        out["parallel_tool_calls"] = False


def reasoning_effort(body: dict[str, Any]) -> str | None:
    """OpenAI's ``reasoning_effort`` for Anthropic's ``thinking``: a budget maps to low, medium or high;
    ``adaptive`` takes ``output_config.effort`` (none named: the model's default); disabled: none."""
    thinking = as_object(body.get("thinking"))
    if thinking.get("type") == "enabled":
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int):
            return "medium"
        return "low" if budget < _LOW_BUDGET else "medium" if budget < _HIGH_BUDGET else "high"
    if thinking.get("type") == "adaptive":
        return _EFFORTS.get(str(as_object(body.get("output_config")).get("effort")))
    return None


def openai_request_from_anthropic(body: Any) -> dict[str, Any]:
    """An OpenAI chat completion request for a client's Anthropic Messages request (``top_k`` is dropped)."""
    _require(isinstance(body, dict), "The request body must be a JSON object.", "body")
    model, max_tokens = body.get("model"), body.get("max_tokens")
    _require(isinstance(model, str) and bool(model), "model: Field required.", "model")
    _require(
        isinstance(max_tokens, int) and not isinstance(max_tokens, bool) and max_tokens > 0,
        "max_tokens: a positive integer is required.",
        "max_tokens",
    )
    out: dict[str, Any] = {
        "model": model,
        "messages": _system_messages(body.get("system")) + _messages(body.get("messages")),
        "max_tokens": max_tokens,
    }
    _sampling(body, out)
    _tooling(body, out)
    effort = reasoning_effort(body)
    if effort is not None:
        out["reasoning_effort"] = effort
    if body.get("stream") is True:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    return out


def message_id(openai_id: Any) -> str:
    return "msg_" + (str(openai_id).removeprefix("chatcmpl-") if openai_id else "0")


def anthropic_stop(choice: dict[str, Any]) -> tuple[str, str | None]:
    """``stop_reason`` and ``stop_sequence`` for an OpenAI choice (vLLM names the matched stop string)."""
    finish = choice.get("finish_reason")
    if finish == "length":
        return "max_tokens", None
    if finish in ("tool_calls", "function_call"):
        return "tool_use", None
    if finish == "content_filter":
        return "refusal", None
    matched = choice.get("stop_reason")
    if finish == "stop" and isinstance(matched, str):
        return "stop_sequence", matched
    return "end_turn", None


def anthropic_usage(usage: Any) -> dict[str, int]:
    """Anthropic usage from OpenAI usage: cached prompt tokens move to ``cache_read_input_tokens``."""
    if not isinstance(usage, dict):
        return {"input_tokens": 0, "output_tokens": 0}
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    details = usage.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    prompt = prompt if isinstance(prompt, int) else 0
    out = {"input_tokens": prompt, "output_tokens": completion if isinstance(completion, int) else 0}
    if isinstance(cached, int) and 0 < cached <= prompt:
        out["input_tokens"] = prompt - cached
        out["cache_read_input_tokens"] = cached
    return out


def _tool_input(arguments: Any) -> Any:
    try:
        parsed = orjson.loads(arguments) if isinstance(arguments, str) and arguments else {}
    except orjson.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _content_blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    reasoning = reasoning_text(message)
    if reasoning:  # no signature: only Anthropic can sign, and the gateway never invents one
        blocks.append({"type": "thinking", "thinking": reasoning, "signature": ""})
    text = message.get("content")
    if isinstance(text, list):
        text = "".join(str(p.get("text") or "") for p in text if isinstance(p, dict))
    if not text and isinstance(message.get("refusal"), str):
        text = message["refusal"]
    if isinstance(text, str) and text:
        blocks.append({"type": "text", "text": text})
    for call in message.get("tool_calls") or ():
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            name, arguments = str(function.get("name") or ""), function.get("arguments")
            blocks.append(
                {"type": "tool_use", "id": str(call.get("id") or ""), "name": name, "input": _tool_input(arguments)}
            )
    return blocks


def anthropic_message_from_openai(response: dict[str, Any]) -> dict[str, Any]:
    """An Anthropic message for an OpenAI chat completion (its first choice)."""
    choices = response.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
    message = as_object(choice.get("message"))
    stop_reason, stop_sequence = anthropic_stop(choice)
    return {
        "id": message_id(response.get("id")),
        "type": "message",
        "role": "assistant",
        "model": str(response.get("model") or ""),
        "content": _content_blocks(message),
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": anthropic_usage(response.get("usage")),
    }
