"""Responses API requests -> OpenAI chat completion requests, for models served by chat-only channels.

``/v1/responses`` is served in front of any chat upstream (``llm_surfaces.md`` §1.11): the request's
items become chat messages, its flat function tools become nested ones, and its options take their
chat names. What chat cannot express (built-in tools such as ``web_search``, ``background``,
``conversation`` objects, items only an OpenAI upstream can read) is refused with a 400 that names
the field and says what to do, never dropped silently: a client must not get an answer that quietly
ignored a tool or a setting it relies on. Harmless extras (``include``, ``truncation``, ``store``,
``metadata``, ``reasoning.summary``) are accepted and not sent.

The functions are pure: chaining by ``previous_response_id`` is the caller's (it passes the stored
turns as ``history``, see :func:`output_as_input`).
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

from omnirelay.api.responses.chat_parts import chat_part, tool_output
from omnirelay.errors import InvalidRequest

__all__ = ["OPENAI_ONLY_ITEMS", "chat_request_from_responses", "input_items", "output_as_input"]

Item = dict[str, Any]
Labelled = tuple[str, Item]
"""An item with the request field it came from (``input[3]``, or ``previous_response_id``)."""

HISTORY = "previous_response_id"
_ROLES = ("user", "assistant", "system", "developer")
_ID_PREFIXES = {"message": "msg", "function_call": "fc", "function_call_output": "fco", "reasoning": "rs"}
OPENAI_ONLY_ITEMS = frozenset(
    {
        "web_search_call", "file_search_call", "computer_call", "computer_call_output", "image_generation_call",
        "code_interpreter_call", "local_shell_call", "local_shell_call_output", "shell_call", "shell_call_output",
        "apply_patch_call", "apply_patch_call_output", "mcp_list_tools", "mcp_approval_request",
        "mcp_approval_response", "mcp_call", "custom_tool_call", "custom_tool_call_output", "compaction",
        "additional_tools", "tool_search_call", "program", "program_output",
    }
)  # fmt: skip
"""Input items of §1.3 that only an OpenAI Responses upstream can read (built-in tools' calls and the like)."""
_CHAT_ONLY = "Send it to a model served by an OpenAI channel with the Responses API enabled, or leave it out."
_COPIED = (
    "temperature",
    "top_p",
    "service_tier",
    "safety_identifier",
    "prompt_cache_key",
    "prompt_cache_retention",
    "user",
)


def _mint(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _param(where: str, tail: str) -> str:
    """The ``param`` of an error about ``where`` + ``tail``; stored turns are named by their chain field."""
    return where if where == HISTORY else where + tail


def input_items(body: dict[str, Any]) -> list[Item]:
    """The request's ``input`` as full input items, as ``GET …/input_items`` lists them.

    A string is one user message; easy messages get ``type``, an id and content parts; other
    items keep their fields (ids and the statuses the listing's types need are added where absent).
    ``instructions`` is not an item."""
    value = body.get("input")
    if value is None:
        return []
    if isinstance(value, str):
        return [_message({"role": "user", "content": value}, "input")]
    if not isinstance(value, list):
        raise InvalidRequest("input must be a string or an array of input items.", param="input")
    return [_normalised(item, f"input[{i}]") for i, item in enumerate(value)]


def _normalised(item: Any, where: str) -> Item:
    if not isinstance(item, dict):
        raise InvalidRequest(f"{where} must be an object (an input item or a message).", param=where)
    kind = item.get("type", "message" if "role" in item else None)
    if not isinstance(kind, str):
        raise InvalidRequest(f"{where} needs a 'type' (or a 'role' for a message).", param=f"{where}.type")
    if kind == "message":
        return _message(item, where)
    full = {**item, "type": kind}
    prefix = _ID_PREFIXES.get(kind)
    if prefix is not None and not full.get("id"):
        full["id"] = _mint(prefix)
    if kind in ("function_call", "function_call_output") and not full.get("status"):
        full["status"] = "completed"
    return full


def _message(item: Item, where: str) -> Item:
    role = item.get("role")
    if role not in _ROLES:
        raise InvalidRequest(f"{where}.role must be one of {', '.join(_ROLES)}.", param=f"{where}.role")
    content = item.get("content")
    if isinstance(content, str):
        parts = [_text_part(role, content)]
    elif isinstance(content, list) and all(isinstance(part, dict) for part in content):
        parts = [_annotated(role, part) for part in content]
    else:
        message = f"{where}.content must be a string or an array of content parts (objects)."
        raise InvalidRequest(message, param=f"{where}.content")
    message_item: Item = {"type": "message", "id": item.get("id") or _mint("msg"), "role": role, "content": parts}
    if item.get("status") is not None or role == "assistant":
        message_item["status"] = item.get("status") or "completed"
    if item.get("phase") is not None:
        message_item["phase"] = item["phase"]
    return message_item


def _text_part(role: str, text: str) -> Item:
    if role == "assistant":
        return {"type": "output_text", "text": text, "annotations": []}
    return {"type": "input_text", "text": text}


def _annotated(role: str, part: Item) -> Item:
    """A copy of ``part``; an assistant's ``output_text`` always has its ``annotations`` list."""
    if role == "assistant" and part.get("type") == "output_text" and part.get("annotations") is None:
        return {**part, "annotations": []}
    return dict(part)


def output_as_input(response: dict[str, Any]) -> list[Item]:
    """A Response's output items as next-turn input items (what ``previous_response_id`` chains)."""
    output = response.get("output")
    if not isinstance(output, list):
        return []
    return [copy.deepcopy(item) for item in output if isinstance(item, dict)]


def chat_request_from_responses(body: dict[str, Any], history: list[Item]) -> dict[str, Any]:
    """The chat completion request that answers ``body`` on a chat-only upstream.

    ``history``: the earlier turns' items (their inputs, then their outputs as input items), sent
    before this request's ``input``. ``instructions`` become the first (system) message."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.", param=None)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("model is required: the name of the model that should answer.", param="model")
    _refuse_gateway_features(body)
    labelled = [(HISTORY, item) for item in history] + [
        (f"input[{i}]", item) for i, item in enumerate(input_items(body))
    ]
    messages = _messages(labelled, _instructions(body))
    if not any(message["role"] != "system" for message in messages):
        raise InvalidRequest("input is required: the message(s) the model should answer.", param="input")
    request: dict[str, Any] = {"model": model, "messages": messages}
    request.update(_tooling(body))
    request.update(_options(body))
    return request


def _refuse_gateway_features(body: dict[str, Any]) -> None:
    if body.get("background"):
        message = "background: true needs an upstream that serves the Responses API; this model is served"
        raise InvalidRequest(
            f"{message} by a chat-only channel. Send the request without it (stream instead).", param="background"
        )
    if body.get("conversation") is not None:
        message = "conversation objects are not kept by this gateway; chain turns with previous_response_id"
        raise InvalidRequest(f"{message} or send the whole conversation in input.", param="conversation")
    for name in ("prompt", "context_management"):
        if body.get(name):
            message = f"{name} needs an upstream that serves the Responses API; this model is served by a"
            raise InvalidRequest(f"{message} chat-only channel. {_CHAT_ONLY}", param=name)


def _instructions(body: dict[str, Any]) -> str | None:
    instructions = body.get("instructions")
    if instructions is None or instructions == "":
        return None
    if not isinstance(instructions, str):
        raise InvalidRequest("instructions must be a string.", param="instructions")
    return instructions


def _messages(labelled: list[Labelled], instructions: str | None) -> list[dict[str, Any]]:
    """Chat messages for the items; attachments of tool outputs follow the run of tool messages."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": instructions}] if instructions else []
    attachments: list[dict[str, Any]] = []
    known: dict[str, Item] = {}
    for where, given in labelled:
        item = _resolved(given, known, where)
        if item.get("type") != "function_call_output" and attachments:
            messages.append({"role": "user", "content": attachments})
            attachments = []
        _append(messages, attachments, item, where)
        if isinstance(item.get("id"), str):
            known[item["id"]] = item
    if attachments:
        messages.append({"role": "user", "content": attachments})
    return messages


def _resolved(item: Item, known: dict[str, Item], where: str) -> Item:
    """An ``item_reference`` replaced by the earlier item (of this request or its chain) it names."""
    if item.get("type") != "item_reference":
        return item
    target = known.get(str(item.get("id")))
    if target is None:
        message = f"{where}: item_reference {item.get('id')!r} names no earlier item of this conversation."
        raise InvalidRequest(message, param=_param(where, ".id"))
    return target


def _append(messages: list[dict[str, Any]], attachments: list[dict[str, Any]], item: Item, where: str) -> None:
    kind = item.get("type")
    if kind == "message":
        messages.append(_chat_message(item, where))
    elif kind == "function_call":
        _append_call(messages, item, where)
    elif kind == "function_call_output":
        messages.append(_tool_message(item, where, attachments))
    elif kind != "reasoning":  # reasoning is opaque to (and dropped for) a chat upstream
        raise _unreadable(kind, where)


def _unreadable(kind: Any, where: str) -> InvalidRequest:
    if kind not in OPENAI_ONLY_ITEMS:
        return InvalidRequest(f"{where}: unknown input item type {kind!r}.", param=_param(where, ".type"))
    message = f"{where}: a {kind} item can only be read by an upstream that serves the Responses API;"
    return InvalidRequest(
        f"{message} this model is served by a chat-only channel. {_CHAT_ONLY}", param=_param(where, ".type")
    )


def _chat_message(item: Item, where: str) -> dict[str, Any]:
    role = item["role"]
    if role == "assistant":
        return _assistant(item, where)
    parts = [chat_part(part, _param(where, f".content[{j}]")) for j, part in enumerate(item["content"])]
    if len(parts) == 1 and parts[0]["type"] == "text":
        return {"role": role, "content": parts[0]["text"]}
    return {"role": role, "content": parts or ""}


def _assistant(item: Item, where: str) -> dict[str, Any]:
    texts: list[str] = []
    refusals: list[str] = []
    for j, part in enumerate(item["content"]):
        kind = part.get("type")
        if kind in ("output_text", "input_text") and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "refusal" and isinstance(part.get("refusal"), str):
            refusals.append(part["refusal"])
        else:
            message = f"{where}.content[{j}]: an assistant message holds output_text or refusal parts."
            raise InvalidRequest(message, param=_param(where, f".content[{j}]"))
    if not refusals:
        return {"role": "assistant", "content": "".join(texts)}
    return {"role": "assistant", "content": "".join(texts) or None, "refusal": "".join(refusals)}


def _text_field(item: Item, name: str, where: str) -> str:
    value = item.get(name)
    if not isinstance(value, str) or (not value and name != "arguments"):
        kind = item.get("type")
        raise InvalidRequest(f"{where}: a {kind} item needs '{name}' (a string).", param=_param(where, f".{name}"))
    return value


def _append_call(messages: list[dict[str, Any]], item: Item, where: str) -> None:
    """A ``function_call`` joins the assistant message just before it (chat holds calls in one message)."""
    arguments = item.get("arguments", "")
    function = {"name": _text_field(item, "name", where), "arguments": arguments}
    if not isinstance(arguments, str):
        raise InvalidRequest(f"{where}.arguments must be a JSON string.", param=_param(where, ".arguments"))
    call = {"id": _text_field(item, "call_id", where), "type": "function", "function": function}
    last = messages[-1] if messages else None
    if last is not None and last["role"] == "assistant":
        last.setdefault("tool_calls", []).append(call)
        if last.get("content") == "":
            last["content"] = None
        return
    messages.append({"role": "assistant", "content": None, "tool_calls": [call]})


def _tool_message(item: Item, where: str, attachments: list[dict[str, Any]]) -> dict[str, Any]:
    call_id = _text_field(item, "call_id", where)
    content = tool_output(item.get("output"), call_id, _param(where, ".output"), attachments)
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def _tooling(body: dict[str, Any]) -> dict[str, Any]:
    """``tools``, ``tool_choice`` and ``parallel_tool_calls`` (chat refuses the latter two without tools)."""
    tools = _tools(body.get("tools"))
    choice, tools = _tool_choice(body.get("tool_choice"), tools)
    if not tools:
        return {}
    out: dict[str, Any] = {"tools": tools}
    if choice is not None:
        out["tool_choice"] = choice
    if body.get("parallel_tool_calls") is not None:
        out["parallel_tool_calls"] = body["parallel_tool_calls"]
    return out


def _tools(tools: Any) -> list[dict[str, Any]]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise InvalidRequest("tools must be an array of tools.", param="tools")
    return [_tool(tool, f"tools[{i}]") for i, tool in enumerate(tools)]


def _tool(tool: Any, where: str) -> dict[str, Any]:
    if not isinstance(tool, dict):
        raise InvalidRequest(f"{where} must be an object.", param=where)
    kind = tool.get("type")
    if kind != "function":
        message = f"{where}: the built-in tool {kind} needs an upstream that serves the Responses API;"
        raise InvalidRequest(
            f"{message} this model is served by a chat-only channel. {_CHAT_ONLY}", param=f"{where}.type"
        )
    if not isinstance(tool.get("name"), str) or not tool["name"]:
        hint = " (it is nested under 'function' as in Chat Completions)" if "function" in tool else ""
        message = f"{where}: function tools are flat in the Responses API: {{type, name, description, parameters}}"
        raise InvalidRequest(f"{message}; this one has no name{hint}.", param=f"{where}.name")
    function = {"name": tool["name"]}
    function.update({k: tool[k] for k in ("description", "parameters", "strict") if tool.get(k) is not None})
    return {"type": "function", "function": function}


def _tool_choice(choice: Any, tools: list[dict[str, Any]]) -> tuple[Any, list[dict[str, Any]]]:
    """Chat's ``tool_choice``; ``allowed_tools`` keeps only the allowed tools (what every upstream reads)."""
    if choice is None or choice in ("none", "auto", "required"):
        return choice, tools
    kind = choice.get("type") if isinstance(choice, dict) else None
    if kind == "function" and isinstance(choice, dict) and isinstance(choice.get("name"), str):
        return {"type": "function", "function": {"name": choice["name"]}}, tools
    if kind == "allowed_tools" and isinstance(choice, dict):
        return _allowed_tools(choice, tools)
    if isinstance(kind, str):
        message = f"tool_choice: the tool type {kind} needs an upstream that serves the Responses API;"
        raise InvalidRequest(f"{message} this model is served by a chat-only channel.", param="tool_choice")
    message = 'tool_choice must be "none", "auto", "required", {"type": "function", "name": …} or allowed_tools.'
    raise InvalidRequest(message, param="tool_choice")


def _allowed_tools(choice: Item, tools: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    mode = choice.get("mode")
    if mode not in ("auto", "required"):
        raise InvalidRequest('tool_choice.mode must be "auto" or "required".', param="tool_choice.mode")
    names: set[str] = set()
    for i, entry in enumerate(choice.get("tools") or ()):
        if not isinstance(entry, dict) or entry.get("type") != "function" or not isinstance(entry.get("name"), str):
            message = f'tool_choice.tools[{i}] must be {{"type": "function", "name": …}} on a chat-only channel.'
            raise InvalidRequest(message, param=f"tool_choice.tools[{i}]")
        names.add(entry["name"])
    allowed = [tool for tool in tools if tool["function"]["name"] in names]
    if not allowed:
        raise InvalidRequest("tool_choice.tools names none of the request's tools.", param="tool_choice.tools")
    return mode, allowed


def _options(body: dict[str, Any]) -> dict[str, Any]:
    out = {name: body[name] for name in _COPIED if body.get(name) is not None}
    if body.get("max_output_tokens") is not None:
        out["max_completion_tokens"] = body["max_output_tokens"]
    out.update(_logprobs(body))
    out.update(_text_options(body.get("text")))
    reasoning = body.get("reasoning")
    if reasoning is not None and not isinstance(reasoning, dict):
        raise InvalidRequest('reasoning must be an object such as {"effort": "low"}.', param="reasoning")
    if reasoning and reasoning.get("effort") is not None:
        out["reasoning_effort"] = reasoning["effort"]
    if body.get("stream"):
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    return out


def _logprobs(body: dict[str, Any]) -> dict[str, Any]:
    include = body.get("include")
    if include is not None and (not isinstance(include, list) or not all(isinstance(i, str) for i in include)):
        raise InvalidRequest("include must be an array of strings.", param="include")
    out: dict[str, Any] = {}
    if include and "message.output_text.logprobs" in include:
        out["logprobs"] = True
    if body.get("top_logprobs") is not None:
        out.update(logprobs=True, top_logprobs=body["top_logprobs"])
    return out


def _text_options(text: Any) -> dict[str, Any]:
    """``text.format`` -> ``response_format`` (json_schema nests its fields), ``text.verbosity`` -> ``verbosity``."""
    if text is None:
        return {}
    if not isinstance(text, dict):
        raise InvalidRequest('text must be an object such as {"format": {"type": "text"}}.', param="text")
    out: dict[str, Any] = {}
    if text.get("verbosity") is not None:
        out["verbosity"] = text["verbosity"]
    form = text.get("format")
    kind = form.get("type") if isinstance(form, dict) else None
    if form is None or kind == "text":
        return out
    if kind == "json_object":
        return {**out, "response_format": {"type": "json_object"}}
    if kind != "json_schema" or not isinstance(form, dict):
        raise InvalidRequest(
            'text.format.type must be "text", "json_object" or "json_schema".', param="text.format.type"
        )
    if not isinstance(form.get("name"), str) or not isinstance(form.get("schema"), dict):
        message = (
            "text.format: a json_schema format needs a 'name' and a 'schema' (flat, not nested under json_schema)."
        )
        raise InvalidRequest(message, param="text.format")
    schema = {k: form[k] for k in ("name", "schema", "strict", "description") if form.get(k) is not None}
    return {**out, "response_format": {"type": "json_schema", "json_schema": schema}}
