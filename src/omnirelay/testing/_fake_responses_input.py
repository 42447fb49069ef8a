"""What the fake Responses API reads from a request: input items, their checks, and token counts.

The checks are the ones a bridge most easily gets wrong: chat-shaped tools (nested under
``function``) or content parts (``{"type": "text"}``), chat-only parameters (``messages``,
``max_tokens``), a ``function_call_output`` whose ``call_id`` answers no call, and reasoning items
whose ``encrypted_content`` was edited. Tokens are words (+3 per item), like the chat fake.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import orjson

__all__ = [
    "BadRequest",
    "create_problem",
    "encrypted_for",
    "input_tokens",
    "item_text",
    "normalise_input",
    "answered_call",
]

CREATE_FIELDS = frozenset(
    {
        "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "max_output_tokens",
        "max_tool_calls", "temperature", "top_p", "top_logprobs", "reasoning", "text", "store",
        "previous_response_id", "conversation", "background", "stream", "stream_options", "include", "truncation",
        "metadata", "prompt", "service_tier", "safety_identifier", "prompt_cache_key", "prompt_cache_retention",
        "prompt_cache_options", "context_management", "moderation", "user",
    }
)  # fmt: skip
_PASS_THROUGH = frozenset(
    {
        "web_search_call", "file_search_call", "computer_call", "computer_call_output", "image_generation_call",
        "code_interpreter_call", "local_shell_call", "local_shell_call_output", "shell_call", "shell_call_output",
        "apply_patch_call", "apply_patch_call_output", "mcp_list_tools", "mcp_approval_request",
        "mcp_approval_response", "mcp_call", "custom_tool_call", "custom_tool_call_output", "compaction",
        "additional_tools", "tool_search_call", "program", "program_output",
    }
)  # fmt: skip
_ROLES = ("user", "assistant", "system", "developer")
_INPUT_PARTS = frozenset({"input_text", "input_image", "input_file", "input_audio"})
_ASSISTANT_PARTS = frozenset({"output_text", "refusal"})


class BadRequest(Exception):
    """An OpenAI ``ErrorResponse``: raised by the checks, rendered by the routes."""

    def __init__(
        self, message: str, param: str | None = None, code: str | None = "invalid_value", status: int = 400
    ) -> None:
        super().__init__(message)
        self.message, self.param, self.code, self.status = message, param, code, status

    def body(self) -> dict[str, Any]:
        kind = "invalid_request_error" if self.status < 500 else "server_error"
        return {"error": {"message": self.message, "type": kind, "param": self.param, "code": self.code}}


def encrypted_for(item_id: str, texts: list[str]) -> str:
    """The opaque ``encrypted_content`` the fake issues for a reasoning (or compaction) item."""
    digest = hashlib.sha256(orjson.dumps([item_id, texts])).digest()[:24]
    return "gAAAAA" + base64.urlsafe_b64encode(digest).decode()


def _summary_texts(item: dict[str, Any]) -> list[str]:
    return [str(s.get("text", "")) for s in item.get("summary") or () if isinstance(s, dict)]


def _tools_problem(body: dict[str, Any]) -> None:
    tools = body.get("tools")
    if tools is None:
        return
    if not isinstance(tools, list):
        raise BadRequest("Invalid type for 'tools': expected an array.", "tools", "invalid_type")
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict) or not isinstance(tool.get("type"), str):
            raise BadRequest(f"Missing required parameter: 'tools[{i}].type'.", f"tools[{i}].type", "missing")
        if tool["type"] == "function" and not isinstance(tool.get("name"), str):
            raise BadRequest(
                f"Missing required parameter: 'tools[{i}].name'.", f"tools[{i}].name", "missing_required_parameter"
            )


def create_problem(body: Any) -> None:
    """Raise :class:`BadRequest` for what the real API would refuse in a create body."""
    if not isinstance(body, dict):
        raise BadRequest("We could not parse the JSON body of your request.", None, None)
    unknown = sorted(set(body) - CREATE_FIELDS)
    if unknown:
        raise BadRequest(f"Unknown parameter: '{unknown[0]}'.", unknown[0], "unknown_parameter")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise BadRequest("Missing required parameter: 'model'.", "model", "missing_required_parameter")
    if body.get("input") is None and not body.get("previous_response_id"):
        raise BadRequest("Missing required parameter: 'input'.", "input", "missing_required_parameter")
    limit = body.get("max_output_tokens")
    if limit is not None and (not isinstance(limit, int) or limit < 16):
        raise BadRequest(
            f"Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got {limit} "
            "instead.",
            "max_output_tokens",
            "integer_below_min_value",
        )
    if body.get("previous_response_id") and body.get("conversation"):
        raise BadRequest(
            "Mutually exclusive parameters: 'previous_response_id' and 'conversation'.", "conversation", None
        )
    _tools_problem(body)


def _parts(content: Any, role: str, where: str) -> list[dict[str, Any]]:
    if isinstance(content, str):
        if role == "assistant":
            return [{"type": "output_text", "text": content, "annotations": []}]
        return [{"type": "input_text", "text": content}]
    if not isinstance(content, list):
        raise BadRequest(f"Invalid type for '{where}.content': expected a string or an array.", f"{where}.content")
    allowed = _ASSISTANT_PARTS if role == "assistant" else _INPUT_PARTS
    for i, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in allowed:
            supported = ", ".join(f"'{k}'" for k in sorted(allowed))
            raise BadRequest(
                f"Invalid value: '{kind}'. Supported values are: {supported}.", f"{where}.content[{i}].type"
            )
    return [dict(p) for p in content]


def _message(item: dict[str, Any], where: str) -> dict[str, Any]:
    role = item.get("role")
    if role not in _ROLES:
        raise BadRequest(
            f"Invalid value: '{role}'. Supported values are: 'assistant', 'system', 'developer', and 'user'.",
            f"{where}.role",
        )
    message = {**item, "type": "message", "role": role, "content": _parts(item.get("content"), str(role), where)}
    return message


def _require(item: dict[str, Any], where: str, *fields: str) -> dict[str, Any]:
    for name in fields:
        if item.get(name) is None:
            raise BadRequest(f"Missing required parameter: '{where}.{name}'.", f"{where}.{name}", "missing")
    return dict(item)


def _item(item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise BadRequest(f"Invalid type for '{where}': expected an object.", where, "invalid_type")
    kind = item.get("type", "message")
    if kind == "message":
        return _message(item, where)
    if kind == "function_call":
        return _require(item, where, "call_id", "name", "arguments")
    if kind == "function_call_output":
        return _require(item, where, "call_id", "output")
    if kind == "reasoning":
        reasoning = _require(item, where, "id", "summary")
        sealed = reasoning.get("encrypted_content")
        if sealed is not None and sealed != encrypted_for(str(reasoning["id"]), _summary_texts(reasoning)):
            raise BadRequest(
                f"The encrypted content for item {reasoning['id']} could not be verified.",
                f"{where}.encrypted_content",
                "invalid_encrypted_content",
            )
        return reasoning
    if kind == "item_reference":
        return _require(item, where, "id")
    if kind in _PASS_THROUGH:
        return dict(item)
    raise BadRequest(f"Invalid value: '{kind}'. Supported values are: 'message', 'function_call', ….", f"{where}.type")


def normalise_input(value: Any) -> list[dict[str, Any]]:
    """``input`` as a list of items (a string is one user message); raise :class:`BadRequest`."""
    if value is None:
        return []
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": value}]}]
    if not isinstance(value, list):
        raise BadRequest(
            "Invalid type for 'input': expected one of a string or array of input items.", "input", "invalid_type"
        )
    return [_item(item, f"input[{i}]") for i, item in enumerate(value)]


def answered_call(history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The call the history's trailing ``function_call_output`` answers (None if it ends otherwise).

    Raises :class:`BadRequest` when any output answers a ``call_id`` no earlier call has.
    """
    calls: dict[str, dict[str, Any]] = {}
    for item in history:
        if item.get("type") == "function_call":
            calls[str(item["call_id"])] = item
        elif item.get("type") == "function_call_output" and str(item["call_id"]) not in calls:
            raise BadRequest(f"No tool call found for function call output with call_id {item['call_id']}.", "input")
    last = history[-1] if history else {}
    return calls[str(last["call_id"])] if last.get("type") == "function_call_output" else None


def item_text(item: dict[str, Any]) -> str:
    """The text an item carries: message text parts, call arguments, call output, reasoning summaries."""
    kind = item.get("type")
    if kind == "message":
        content = item.get("content") or ()
        return " ".join(str(p.get("text") or p.get("refusal") or "") for p in content if isinstance(p, dict))
    if kind == "function_call":
        return str(item.get("arguments") or "")
    if kind == "function_call_output":
        output = item.get("output")
        return output if isinstance(output, str) else orjson.dumps(output).decode()
    if kind == "reasoning":
        return " ".join(_summary_texts(item))
    return ""


def input_tokens(instructions: Any, history: list[dict[str, Any]]) -> int:
    """Words of every item (and of ``instructions``), plus three per item."""
    extra = len(instructions.split()) + 3 if isinstance(instructions, str) and instructions else 0
    return sum(len(item_text(item).split()) + 3 for item in history) + extra
