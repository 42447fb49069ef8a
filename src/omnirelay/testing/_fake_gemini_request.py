"""What the fake Gemini API checks in a request, the thought signatures it issues, and token counts.

Like Google's JSON parser, it reads snake_case names as their camelCase twins (the official
``google-genai`` SDK sends nested config objects in snake_case) and refuses names it does not know
(``Unknown name "messages"``). It checks that every ``functionResponse`` turn answers the model
turn just before it, and that every ``thoughtSignature`` in the history holds the bytes the fake
issued for that part (standard or URL-safe base64, as Google reads ``bytes`` fields; the SDK
re-encodes URL-safe). Signatures are derived from the model and the part's content (the call's
name and args, or the turn's text), so a byte-identical round trip passes on any fake instance
and an edited one does not.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

import orjson

__all__ = [
    "SKIP_SIGNATURE",
    "GeminiError",
    "camel_case",
    "generate_problem",
    "prompt_tokens",
    "thought_signature",
    "turn_text",
]

SKIP_SIGNATURE = "skip_thought_signature_validator"
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_REQUEST_FIELDS = frozenset(
    {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "safetySettings", "cachedContent"}
)
_PART_DATA = frozenset(
    {"text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode", "codeExecutionResult"}
)
_PART_FLAGS = frozenset({"thought", "thoughtSignature", "videoMetadata", "mediaResolution", "partMetadata"})
_TOOL_FIELDS = frozenset(
    {"functionDeclarations", "googleSearch", "googleSearchRetrieval", "codeExecution", "urlContext", "googleMaps",
     "fileSearch", "computerUse", "mcpServers", "retrieval"}
)  # fmt: skip
_DECLARATION_FIELDS = frozenset(
    {"name", "description", "parameters", "parametersJsonSchema", "response", "responseJsonSchema", "behavior"}
)
_GENERATION_FIELDS = frozenset(
    {"temperature", "topP", "topK", "candidateCount", "maxOutputTokens", "stopSequences", "presencePenalty",
     "frequencyPenalty", "seed", "responseMimeType", "responseSchema", "responseJsonSchema", "responseLogprobs",
     "logprobs", "responseModalities", "speechConfig", "mediaResolution", "thinkingConfig", "imageConfig",
     "enableEnhancedCivicAnswers"}
)  # fmt: skip
_THINKING_FIELDS = frozenset({"thinkingBudget", "includeThoughts", "thinkingLevel"})
_OPAQUE = frozenset(
    {"args", "response", "parameters", "parametersJsonSchema", "responseSchema", "responseJsonSchema", "labels"}
)
_MODES = frozenset({"AUTO", "ANY", "NONE", "VALIDATED", "MODE_UNSPECIFIED"})


class GeminiError(Exception):
    """A Google API error: rendered as ``{"error": {"code", "message", "status", "details"?}}``."""

    def __init__(self, code: int, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details

    def body(self) -> dict[str, Any]:
        status = _STATUS.get(self.code, "INTERNAL" if self.code >= 500 else "INVALID_ARGUMENT")
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def _unknown(value: Any, allowed: frozenset[str], where: str) -> None:
    if not isinstance(value, dict):
        raise GeminiError(400, f"Invalid JSON payload received. Expected an object at '{where}'.")
    for name in value:
        if name not in allowed:
            at = f" at '{where}'" if where else ""
            raise GeminiError(400, f'Invalid JSON payload received. Unknown name "{name}"{at}: Cannot find field.')


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def camel_case(value: Any) -> Any:
    """``value`` with every field name in camelCase; user data (call args, schemas) left as sent."""
    if isinstance(value, list):
        return [camel_case(item) for item in value]
    if not isinstance(value, dict):
        return value
    named = {_camel(str(name)): item for name, item in value.items()}
    return {name: item if name in _OPAQUE else camel_case(item) for name, item in named.items()}


def thought_signature(model: str, payload: Any) -> str:
    """The signature the fake puts on a part: base64 of a digest of the model and the part's content."""
    digest = hashlib.sha256(orjson.dumps([model, payload], option=orjson.OPT_SORT_KEYS)).digest()
    return base64.b64encode(b"fake-thought:" + digest).decode()


def turn_text(parts: list[Any]) -> str:
    """The answer text of a model turn: its non-thought text parts, joined."""
    return "".join(str(p.get("text") or "") for p in parts if isinstance(p, dict) and not p.get("thought"))


def _part(part: Any, where: str) -> None:
    _unknown(part, _PART_DATA | _PART_FLAGS, where)
    data = [name for name in part if name in _PART_DATA]
    if len(data) != 1:
        raise GeminiError(
            400, f"* GenerateContentRequest.{where}.data: required oneof field 'data' must have one initialized field"
        )
    inline = part.get("inlineData")
    if inline is not None:
        if not isinstance(inline, dict) or not inline.get("mimeType"):
            raise GeminiError(
                400, f"* GenerateContentRequest.{where}.inline_data.mime_type: mime_type is not specified"
            )
        try:
            base64.b64decode(str(inline.get("data") or ""), validate=True)
        except binascii.Error:
            raise GeminiError(
                400, f"Invalid value at '{where}.inline_data.data' (TYPE_BYTES), Base64 decoding failed"
            ) from None


def _content(content: Any, where: str) -> None:
    _unknown(content, frozenset({"role", "parts"}), where)
    if content.get("role") not in (None, "user", "model", "function"):
        raise GeminiError(400, f"Please use a valid role: user, model. ({where}.role: {content.get('role')!r})")
    parts = content.get("parts")
    if not isinstance(parts, list) or not parts:
        raise GeminiError(400, f"* GenerateContentRequest.{where}.parts: contents.parts must not be empty.")
    for i, part in enumerate(parts):
        _part(part, f"{where}.parts[{i}]")


def _names(content: dict[str, Any], kind: str) -> list[str]:
    return sorted(str(p[kind].get("name")) for p in content["parts"] if isinstance(p.get(kind), dict))


def _answers_problem(contents: list[dict[str, Any]]) -> None:
    for i, content in enumerate(contents):
        answered = _names(content, "functionResponse")
        if not answered:
            continue
        called = _names(contents[i - 1], "functionCall") if i and contents[i - 1].get("role") == "model" else []
        if answered != called:
            raise GeminiError(
                400,
                "Please ensure that the number of function response parts is equal to the number of function call "
                "parts of the function call turn.",
            )


def _bytes(value: Any, where: str) -> bytes:
    """A ``bytes`` field as Google reads it: standard or URL-safe base64, padded or not."""
    text = str(value).replace("+", "-").replace("/", "_")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise GeminiError(
            400, f"Invalid value at '{where}' (TYPE_BYTES), Base64 decoding failed for \"{value}\""
        ) from None


def _signature_problem(model: str, content: dict[str, Any], where: str) -> None:
    text = turn_text(content["parts"])
    for i, part in enumerate(content["parts"]):
        signature = part.get("thoughtSignature")
        if signature is None or signature == SKIP_SIGNATURE:
            continue
        call = part.get("functionCall")
        payload = {"name": call.get("name"), "args": call.get("args") or {}} if isinstance(call, dict) else text
        if _bytes(signature, f"{where}.parts[{i}].thought_signature") != _bytes(thought_signature(model, payload), ""):
            raise GeminiError(400, f"Corrupted thought signature at {where}.parts[{i}].")


def _missing_signature(contents: list[dict[str, Any]]) -> None:
    """Gemini 3 rule: in the current turn, each model step's first functionCall part must be signed."""
    starts = [i for i, c in enumerate(contents) if c.get("role") != "model" and any("text" in p for p in c["parts"])]
    for position in range(starts[-1] + 1 if starts else 0, len(contents)):
        content = contents[position]
        calls = [p for p in content["parts"] if isinstance(p.get("functionCall"), dict)]
        if content.get("role") == "model" and calls and "thoughtSignature" not in calls[0]:
            raise GeminiError(
                400,
                "Function call is missing a thought_signature in functionCall parts. This is required for tools to "
                "work correctly, and missing thought_signature may lead to degraded model performance. Additional "
                f"data, function call `default_api:{calls[0]['functionCall'].get('name')}` , position {position + 1}."
                " Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.",
            )


def _tools_problem(body: dict[str, Any]) -> None:
    for i, tool in enumerate(body.get("tools") or ()):
        _unknown(tool, _TOOL_FIELDS, f"tools[{i}]")
        for j, declaration in enumerate(tool.get("functionDeclarations") or ()):
            _unknown(declaration, _DECLARATION_FIELDS, f"tools[{i}].function_declarations[{j}]")
            if not declaration.get("name"):
                raise GeminiError(
                    400, f"* GenerateContentRequest.tools[{i}].function_declarations[{j}].name: Name cannot be empty."
                )
    config = body.get("toolConfig")
    if config is not None:
        _unknown(config, frozenset({"functionCallingConfig", "retrievalConfig"}), "tool_config")
        mode = (config.get("functionCallingConfig") or {}).get("mode", "AUTO")
        if mode not in _MODES:
            raise GeminiError(400, f"Invalid value at 'tool_config.function_calling_config.mode', \"{mode}\"")


def _generation_problem(body: dict[str, Any]) -> None:
    config = body.get("generationConfig")
    if config is None:
        return
    _unknown(config, _GENERATION_FIELDS, "generation_config")
    if config.get("thinkingConfig") is not None:
        _unknown(config["thinkingConfig"], _THINKING_FIELDS, "generation_config.thinking_config")
    count = config.get("candidateCount", 1)
    if not isinstance(count, int) or not 1 <= count <= 8:
        raise GeminiError(400, "* GenerateContentRequest.generation_config.candidate_count: must be between 1 and 8.")


def generate_problem(body: Any, model: str, require_signatures: bool) -> None:
    """Raise :class:`GeminiError` for what the real API would refuse in a generateContent body."""
    _unknown(body, _REQUEST_FIELDS, "")
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise GeminiError(400, "* GenerateContentRequest.contents: contents is not specified")
    for i, content in enumerate(contents):
        _content(content, f"contents[{i}]")
    if body.get("systemInstruction") is not None:
        _content(body["systemInstruction"], "system_instruction")
    _tools_problem(body)
    _generation_problem(body)
    _answers_problem(contents)
    for i, content in enumerate(contents):
        if content.get("role") == "model":
            _signature_problem(model, content, f"contents[{i}]")
    if require_signatures:
        _missing_signature(contents)


def _part_words(part: dict[str, Any]) -> int:
    if isinstance(part.get("text"), str):
        return len(part["text"].split())
    for kind, key in (("functionCall", "args"), ("functionResponse", "response")):
        if isinstance(part.get(kind), dict):
            return len(orjson.dumps(part[kind].get(key) or {}).decode().split()) + 1
    return 258 if "inlineData" in part or "fileData" in part else 0


def prompt_tokens(contents: Any, system: Any = None) -> int:
    """Words of every text part (calls and responses: their JSON, +1; media: 258), plus three per content."""
    total = 0
    for content in [*(contents if isinstance(contents, list) else ()), *([system] if system else ())]:
        parts = content.get("parts") if isinstance(content, dict) else None
        total += 3 + sum(_part_words(p) for p in parts or () if isinstance(p, dict))
    return total
