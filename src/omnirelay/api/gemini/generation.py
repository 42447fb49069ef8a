"""Pure conversion of a Gemini request's options into chat completion fields (§2.9).

``functionDeclarations`` -> ``tools``; ``toolConfig.functionCallingConfig`` -> ``tool_choice``
(``AUTO``/``VALIDATED`` ``auto``, ``NONE`` ``none``, ``ANY`` ``required``, or the one function
when ``allowedFunctionNames`` names exactly one); ``generationConfig``: ``temperature``, ``topP``,
``maxOutputTokens``, ``stopSequences``, ``candidateCount``, ``presencePenalty``,
``frequencyPenalty``, ``seed``, ``responseLogprobs``/``logprobs``, JSON output with its schema,
and thinking (``thinkingLevel`` as ``reasoning_effort``; a ``thinkingBudget`` up to 1024 tokens
``low``, up to 8192 ``medium``, above ``high``). ``topK``, ``safetySettings``, speech, image and
media-resolution settings have no chat equivalent and are left out.
"""

from __future__ import annotations

from typing import Any

from omnirelay.errors import InvalidRequest

__all__ = ["chat_options", "json_schema"]

JSONObject = dict[str, Any]
_MODES = {"AUTO": "auto", "VALIDATED": "auto", "NONE": "none", "ANY": "required"}
_RENAMED = {
    "temperature": "temperature",
    "topP": "top_p",
    "maxOutputTokens": "max_tokens",
    "stopSequences": "stop",
    "candidateCount": "n",
    "presencePenalty": "presence_penalty",
    "frequencyPenalty": "frequency_penalty",
    "seed": "seed",
    "responseLogprobs": "logprobs",
    "logprobs": "top_logprobs",
}
_SCHEMA_DROPPED = frozenset({"nullable", "propertyOrdering"})


def chat_options(request: JSONObject) -> JSONObject:
    """``tools``, ``tool_choice`` and the generation fields for a camelCased Gemini request."""
    options: JSONObject = {}
    tools = _tools(request.get("tools"))
    if tools:
        options["tools"] = tools
        choice = _tool_choice(request.get("toolConfig"))
        if choice is not None:
            options["tool_choice"] = choice
    config = request.get("generationConfig")
    if isinstance(config, dict):
        options.update(_generation(config))
    return options


def _tools(tools: Any) -> list[JSONObject]:
    converted: list[JSONObject] = []
    for tool in tools if isinstance(tools, list) else ():
        for kind, value in tool.items() if isinstance(tool, dict) else ():
            if kind != "functionDeclarations":
                raise InvalidRequest(
                    f"The `{kind}` tool runs only on Gemini upstreams, and this model is served by another kind. "
                    "Declare functions instead, or use a model served by a Gemini channel.",
                    param="tools",
                )
            converted += [_function(d) for d in value or () if isinstance(d, dict)]
    return converted


def _function(declaration: JSONObject) -> JSONObject:
    schema = declaration.get("parametersJsonSchema")
    if schema is None:
        given = declaration.get("parameters")
        schema = json_schema(given) if given is not None else {"type": "object", "properties": {}}
    function: JSONObject = {"name": str(declaration.get("name") or "")}
    if declaration.get("description"):
        function["description"] = declaration["description"]
    function["parameters"] = schema
    return {"type": "function", "function": function}


def json_schema(schema: Any) -> Any:
    """Gemini's OpenAPI-subset ``Schema`` as JSON Schema: lower-case types, ``nullable`` as a null type."""
    if isinstance(schema, list):
        return [json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted: JSONObject = {}
    for name, value in schema.items():
        if name in _SCHEMA_DROPPED:
            continue
        if name == "type" and isinstance(value, str):
            converted[name] = value.lower()
        elif name == "properties" and isinstance(value, dict):
            converted[name] = {key: json_schema(item) for key, item in value.items()}
        elif name in ("items", "anyOf"):
            converted[name] = json_schema(value)
        else:
            converted[name] = value
    if schema.get("nullable") is True and isinstance(converted.get("type"), str):
        converted["type"] = [converted["type"], "null"]
    return converted


def _tool_choice(config: Any) -> Any:
    calling = config.get("functionCallingConfig") if isinstance(config, dict) else None
    if not isinstance(calling, dict):
        return None
    mode = _MODES.get(str(calling.get("mode") or "AUTO").upper(), "auto")
    allowed = calling.get("allowedFunctionNames")
    if mode == "required" and isinstance(allowed, list) and len(allowed) == 1:
        return {"type": "function", "function": {"name": str(allowed[0])}}
    return mode


def _generation(config: JSONObject) -> JSONObject:
    fields: JSONObject = {new: config[old] for old, new in _RENAMED.items() if config.get(old) is not None}
    response_format = _response_format(config)
    if response_format is not None:
        fields["response_format"] = response_format
    effort = _effort(config.get("thinkingConfig"))
    if effort is not None:
        fields["reasoning_effort"] = effort
    return fields


def _response_format(config: JSONObject) -> JSONObject | None:
    if config.get("responseMimeType") != "application/json":
        return None
    schema = config.get("responseJsonSchema")
    if schema is None and config.get("responseSchema") is not None:
        schema = json_schema(config["responseSchema"])
    if schema is None:
        return {"type": "json_object"}
    return {"type": "json_schema", "json_schema": {"name": "response", "schema": schema}}


def _effort(thinking: Any) -> str | None:
    if not isinstance(thinking, dict):
        return None
    level = thinking.get("thinkingLevel")
    if isinstance(level, str) and level:
        return level.lower()
    budget = thinking.get("thinkingBudget")
    if not isinstance(budget, int) or isinstance(budget, bool) or budget <= 0:
        return None  # 0 (off) and -1 (dynamic) leave the upstream's default
    return "low" if budget <= 1024 else "medium" if budget <= 8192 else "high"
