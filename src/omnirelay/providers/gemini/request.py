"""Pure conversion of an OpenAI chat completion request into a Gemini ``GenerateContentRequest``.

The conversation (``llm_surfaces.md`` §2.9): system and developer messages become
``systemInstruction``; user, assistant and tool messages become ``user``/``model`` turns (a turn
of the same role as the last one joins it, so roles alternate); tool results are
``functionResponse`` parts named after the call they answer. The request's settings (tools,
sampling, JSON mode, thinking) are converted by ``config.py``.

Thought signatures come back on the OpenAI side as ``extra_content.google.thought_signature``
(on a tool call, or on the assistant message for a signature that sat on a text part: see
``answer.py``) and are restored on the part they came from. A model turn whose function calls
carry no signature (the client dropped it, or another vendor wrote that history) gets Google's
documented placeholder ``skip_thought_signature_validator`` on its first call, so Gemini 3
models accept the replay instead of refusing it.
"""

from __future__ import annotations

from typing import Any, NoReturn

import orjson

from omnirelay.errors import UpstreamRejected
from omnirelay.providers.gemini.config import generation_settings

__all__ = ["SKIP_SIGNATURE", "gemini_request_from_openai", "model_path", "signature_of"]

SKIP_SIGNATURE = "skip_thought_signature_validator"
_AUDIO_TYPES = {"wav": "audio/wav", "mp3": "audio/mp3", "flac": "audio/flac", "ogg": "audio/ogg"}
_FILES_API = "https://generativelanguage.googleapis.com/"

Part = dict[str, Any]
Turn = dict[str, Any]


def _reject(message: str, param: str) -> NoReturn:
    raise UpstreamRejected(message, status_code=400, type="invalid_request_error", code=None, param=param)


def model_path(model: Any) -> str:
    """The model id as it goes in the URL (``models/x`` and ``x`` both name ``x``)."""
    if not isinstance(model, str) or not model.strip():
        _reject("You must provide a model parameter.", "model")
    return model.strip().removeprefix("models/")


def signature_of(carrier: Any) -> str | None:
    """The Gemini thought signature an OpenAI object carries in ``extra_content.google``."""
    extra = carrier.get("extra_content") if isinstance(carrier, dict) else None
    google = extra.get("google") if isinstance(extra, dict) else None
    signature = google.get("thought_signature") if isinstance(google, dict) else None
    return signature if isinstance(signature, str) and signature else None


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text") or "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _data_url(url: str, param: str) -> Part:
    header, _, data = url.partition(",")
    if ";base64" not in header or not data:
        _reject("Only base64 data URLs can be sent inline to this channel.", param)
    return {"inlineData": {"mimeType": header[5:].split(";")[0] or "application/octet-stream", "data": data}}


def _image(url: Any, param: str) -> Part:
    if not isinstance(url, str) or not url:
        _reject("An image_url part needs a url.", param)
    if url.startswith("data:"):
        return _data_url(url, param)
    if url.startswith(_FILES_API):
        return {"fileData": {"fileUri": url}}
    _reject("This channel takes images as base64 data URLs (or Gemini Files API URIs), not links.", param)


def _media_part(part: dict[str, Any], kind: str, param: str) -> Part:
    if kind == "image_url":
        image = part.get("image_url")
        return _image(image.get("url") if isinstance(image, dict) else image, param)
    if kind == "input_audio":
        audio = part.get("input_audio")
        audio = audio if isinstance(audio, dict) else {}
        mime = _AUDIO_TYPES.get(str(audio.get("format") or ""), f"audio/{audio.get('format') or 'wav'}")
        if not isinstance(audio.get("data"), str) or not audio["data"]:
            _reject("An input_audio part needs base64 data.", param)
        return {"inlineData": {"mimeType": mime, "data": audio["data"]}}
    file = part.get("file")
    data = file.get("file_data") if isinstance(file, dict) else None
    if not isinstance(data, str) or not data.startswith("data:"):
        _reject("File parts must carry file_data as a base64 data URL (file ids cannot be sent here).", param)
    return _data_url(data, param)


def _user_parts(content: Any, param: str) -> list[Part]:
    if isinstance(content, str):
        return [{"text": content}] if content else []
    if not isinstance(content, list):
        _reject("Message content must be a string or a list of parts.", param)
    parts: list[Part] = []
    for i, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            if part.get("text"):
                parts.append({"text": str(part["text"])})
        elif isinstance(part, dict) and kind in ("image_url", "input_audio", "file"):
            parts.append(_media_part(part, kind, f"{param}.{i}"))
        else:
            _reject(f"Content parts of type {kind!r} cannot be sent to this channel.", f"{param}.{i}")
    return parts


def _arguments(arguments: Any) -> dict[str, Any]:
    try:
        parsed = orjson.loads(arguments) if isinstance(arguments, str) and arguments else {}
    except orjson.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _model_parts(message: dict[str, Any]) -> list[Part]:
    """A replayed assistant message: its text, then its calls, each signature on its own part."""
    parts: list[Part] = []
    text = _text(message.get("content"))
    signature = signature_of(message)
    if text or signature:
        parts.append({"text": text, "thoughtSignature": signature} if signature else {"text": text})
    calls: list[Part] = []
    for call in message.get("tool_calls") or ():
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            continue
        part: Part = {
            "functionCall": {"name": str(function.get("name") or ""), "args": _arguments(function.get("arguments"))}
        }
        if (called_signature := signature_of(call)) is not None:
            part["thoughtSignature"] = called_signature
        calls.append(part)
    if calls and not any("thoughtSignature" in c for c in calls):
        calls[0]["thoughtSignature"] = SKIP_SIGNATURE
    return parts + calls


def _tool_output(content: Any) -> Any:
    text = _text(content)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


class _Conversation:
    """Builds the turns, remembering each tool call's name and position for the results that follow."""

    def __init__(self) -> None:
        self.system: list[Part] = []
        self.turns: list[Turn] = []
        self._calls: dict[str, tuple[str, int]] = {}
        self._results: list[tuple[int, Part]] = []
        """A run of tool messages, sent as one turn in the order of the calls they answer."""

    def add(self, turn_role: str, parts: list[Part]) -> None:
        self._flush_results()
        self._append(turn_role, parts)

    def _append(self, turn_role: str, parts: list[Part]) -> None:
        if not parts:
            return
        if self.turns and self.turns[-1]["role"] == turn_role:
            self.turns[-1]["parts"].extend(parts)
        else:
            self.turns.append({"role": turn_role, "parts": parts})

    def _flush_results(self) -> None:
        if self._results:
            results, self._results = self._results, []
            self._append("user", [part for _, part in sorted(results, key=lambda result: result[0])])

    def assistant(self, message: dict[str, Any]) -> None:
        for position, call in enumerate(c for c in message.get("tool_calls") or () if isinstance(c, dict)):
            function = call.get("function")
            name = function.get("name") if isinstance(function, dict) else None
            self._calls[str(call.get("id") or "")] = (str(name or ""), position)
        self.add("model", _model_parts(message))

    def tool(self, message: dict[str, Any], param: str) -> None:
        call_id = str(message.get("tool_call_id") or "")
        known = self._calls.get(call_id)
        if known is None and not isinstance(message.get("name"), str):
            _reject(f"No assistant tool call has the id {call_id!r} this tool message answers.", param)
        name, position = known or (str(message["name"]), len(self._calls))
        output = {"output": _tool_output(message.get("content"))}
        self._results.append((position, {"functionResponse": {"name": name, "response": output}}))

    def finished(self) -> list[Turn]:
        self._flush_results()
        return self.turns


def _conversation(messages: Any) -> _Conversation:
    if not isinstance(messages, list) or not messages:
        _reject("'messages' must be a non-empty list.", "messages")
    conversation = _Conversation()
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role in ("system", "developer"):
            text = _text(message.get("content"))
            if text:
                conversation.system.append({"text": text})
        elif role == "user":
            conversation.add("user", _user_parts(message.get("content"), f"messages.{i}.content"))
        elif role == "assistant":
            conversation.assistant(message)
        elif role == "tool":
            conversation.tool(message, f"messages.{i}.tool_call_id")
        else:
            _reject(f"Messages of role {role!r} cannot be sent to this channel.", f"messages.{i}.role")
    return conversation


def gemini_request_from_openai(body: dict[str, Any]) -> dict[str, Any]:
    """The ``generateContent`` body for an OpenAI chat completion request (the model goes in the URL)."""
    conversation = _conversation(body.get("messages"))
    turns = conversation.finished()
    if not turns:
        _reject("The conversation has no user or assistant content to send.", "messages")
    out: dict[str, Any] = {"contents": turns}
    if conversation.system:
        out["systemInstruction"] = {"parts": conversation.system}
    out.update(generation_settings(body, model_path(body.get("model"))))
    return out
