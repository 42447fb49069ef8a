"""Pure conversion of an OpenAI chat request's settings into Gemini's ``tools``, ``toolConfig`` and
``generationConfig`` (``llm_surfaces.md`` §2.9).

Function parameters go as ``parametersJsonSchema`` and a JSON schema answer format as
``responseJsonSchema``: both take plain JSON Schema, so nothing is lost converting to the
OpenAPI subset the older ``parameters``/``responseSchema`` fields want.

``reasoning_effort`` is a gateway policy (Gemini has no such field): Gemini 3 models get the
matching ``thinkingLevel``; other models a ``thinkingBudget`` (``none`` 0, ``minimal`` 512,
``low`` 1024, ``medium`` 8192, ``high`` 24576). Either way ``includeThoughts`` is on, so the
model's thought summaries come back as ``reasoning_content``. Without ``reasoning_effort`` the
model thinks as it does by default and no summaries are asked for.
"""

from __future__ import annotations

from typing import Any, NoReturn

from omnirelay.errors import UpstreamRejected

__all__ = ["generation_settings", "thinking_config"]

_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY"}
_BUDGETS = {"none": 0, "minimal": 512, "low": 1024, "medium": 8192, "high": 24576, "xhigh": 24576}
_LEVELS = {"none": "MINIMAL", "minimal": "MINIMAL", "low": "LOW", "medium": "MEDIUM", "high": "HIGH", "xhigh": "HIGH"}
_PLAIN = (("temperature", "temperature"), ("top_p", "topP"), ("seed", "seed"))
_PENALTIES = (("presence_penalty", "presencePenalty"), ("frequency_penalty", "frequencyPenalty"))


def _reject(message: str, param: str) -> NoReturn:
    raise UpstreamRejected(message, status_code=400, type="invalid_request_error", code=None, param=param)


def _declaration(tool: Any, param: str) -> dict[str, Any]:
    function = tool.get("function") if isinstance(tool, dict) and tool.get("type", "function") == "function" else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str) or not function["name"]:
        _reject("Only function tools with a name can be sent to this channel.", param)
    declaration: dict[str, Any] = {"name": function["name"]}
    if isinstance(function.get("description"), str):
        declaration["description"] = function["description"]
    parameters = function.get("parameters")
    if isinstance(parameters, dict) and parameters:
        declaration["parametersJsonSchema"] = parameters
    return declaration


def _tool_config(choice: Any) -> dict[str, Any] | None:
    if isinstance(choice, str) and choice in _MODES:
        return {"functionCallingConfig": {"mode": _MODES[choice]}}
    function = choice.get("function") if isinstance(choice, dict) else None
    if isinstance(function, dict) and isinstance(function.get("name"), str):
        return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [function["name"]]}}
    if choice is not None:
        _reject("tool_choice must be auto, none, required or a named function.", "tool_choice")
    return None


def _tools(body: dict[str, Any]) -> dict[str, Any]:
    tools = body.get("tools")
    if not tools:
        return {}
    if not isinstance(tools, list):
        _reject("'tools' must be a list.", "tools")
    out: dict[str, Any] = {
        "tools": [{"functionDeclarations": [_declaration(t, f"tools.{i}") for i, t in enumerate(tools)]}]
    }
    config = _tool_config(body.get("tool_choice"))
    if config is not None:
        out["toolConfig"] = config
    return out


def thinking_config(effort: Any, model: str) -> dict[str, Any] | None:
    """``thinkingConfig`` for an OpenAI ``reasoning_effort`` (None: leave the model's default)."""
    if not isinstance(effort, str):
        return None
    if effort not in _BUDGETS:
        _reject(f"reasoning_effort must be one of {', '.join(_BUDGETS)}.", "reasoning_effort")
    if "gemini-3" in model:
        return {"thinkingLevel": _LEVELS[effort], "includeThoughts": True}
    budget = _BUDGETS[effort]
    return {"thinkingBudget": budget, "includeThoughts": True} if budget else {"thinkingBudget": 0}


def _answer_format(response_format: Any, config: dict[str, Any]) -> None:
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind == "json_object":
        config["responseMimeType"] = "application/json"
    elif kind == "json_schema":
        schema = response_format.get("json_schema")
        config["responseMimeType"] = "application/json"
        if isinstance(schema, dict) and isinstance(schema.get("schema"), dict):
            config["responseJsonSchema"] = schema["schema"]
    elif kind not in (None, "text"):
        _reject(f"response_format of type {kind!r} cannot be sent to this channel.", "response_format")


def _generation_config(body: dict[str, Any], model: str) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for ours, theirs in (*_PLAIN, *_PENALTIES):
        if isinstance(body.get(ours), int | float) and not isinstance(body.get(ours), bool):
            config[theirs] = body[ours]
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if isinstance(limit, int) and limit > 0:
        config["maxOutputTokens"] = limit
    stop = body.get("stop")
    if stop:
        config["stopSequences"] = [stop] if isinstance(stop, str) else [str(s) for s in stop]
    choices = body.get("n")
    if isinstance(choices, int) and choices > 1:
        config["candidateCount"] = choices
    _answer_format(body.get("response_format"), config)
    thinking = thinking_config(body.get("reasoning_effort"), model)
    if thinking is not None:
        config["thinkingConfig"] = thinking
    return config


def generation_settings(body: dict[str, Any], model: str) -> dict[str, Any]:
    """``tools``, ``toolConfig`` and ``generationConfig``, each only when the request sets something."""
    out = _tools(body)
    config = _generation_config(body, model)
    if config:
        out["generationConfig"] = config
    return out
