"""Pure conversion of a Gemini ``GenerateContentRequest`` into an OpenAI chat completion request (§2.9).

- ``systemInstruction`` -> a ``system`` message; ``user`` (and legacy ``function``) turns -> ``user``
  messages, their ``functionResponse`` parts -> ``tool`` messages first, in order; ``model`` turns
  -> ``assistant`` messages with ``tool_calls``. Thought parts and ``thoughtSignature`` are dropped:
  they mean nothing to another vendor's model.
- Tool call ids: a ``functionCall``'s own ``id``, else ``call_<n>`` in the order of the history;
  a ``functionResponse`` without an id answers the latest unanswered call of its name.
- ``inlineData``: images -> ``image_url`` data URLs, wav/mp3 -> ``input_audio``, other files ->
  ``file`` parts; ``fileData`` only for images at an http(s) URL.
- ``functionDeclarations`` -> ``tools`` (``parametersJsonSchema`` as is, ``parameters`` with its
  upper-case OpenAPI types lowered); ``toolConfig`` -> ``tool_choice``; ``generationConfig``
  fields -> their chat twins (``generation.py``).
- What has no chat equivalent is refused with a clear 400: Gemini's built-in tools
  (``googleSearch``, ``codeExecution``...), ``cachedContent``, media at a Files API URI.
"""

from __future__ import annotations

from typing import Any

import orjson

from omnirelay.api.gemini.generation import chat_options
from omnirelay.api.gemini.names import camel_case
from omnirelay.errors import InvalidRequest

__all__ = ["chat_request", "gemini_request"]

JSONObject = dict[str, Any]
_AUDIO_FORMATS = {"audio/wav": "wav", "audio/x-wav": "wav", "audio/mp3": "mp3", "audio/mpeg": "mp3"}


def gemini_request(body: Any) -> JSONObject:
    """The request in camelCase, or a 400 for a body that is not a ``GenerateContentRequest``."""
    if not isinstance(body, dict):
        raise InvalidRequest("Invalid JSON payload received. Expected an object.")
    request: JSONObject = camel_case(body)
    contents = request.get("contents")
    if not isinstance(contents, list) or not contents:
        raise InvalidRequest("* GenerateContentRequest.contents: contents is not specified", param="contents")
    for i, content in enumerate(contents):
        if not isinstance(content, dict) or not isinstance(content.get("parts"), list) or not content["parts"]:
            raise InvalidRequest(f"* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty.")
    return request


def chat_request(body: Any, model: str, *, stream: bool) -> JSONObject:
    """The OpenAI chat completion request for a Gemini request (``model``: the client's model name)."""
    request = gemini_request(body)
    if request.get("cachedContent"):
        raise InvalidRequest(
            "cachedContent refers to a Gemini context cache; this model is not served by a Gemini upstream.",
            param="cachedContent",
        )
    messages: list[JSONObject] = []
    system = _text_of(request.get("systemInstruction"))
    if system:
        messages.append({"role": "system", "content": system})
    messages += _messages(request["contents"])
    chat: JSONObject = {"model": model, "messages": messages}
    chat.update(chat_options(request))
    if stream:
        chat["stream"] = True
        chat["stream_options"] = {"include_usage": True}
    return chat


def _text_of(content: Any) -> str:
    if isinstance(content, str):  # some clients send the instruction as a bare string
        return content
    parts = content.get("parts") if isinstance(content, dict) else None
    texts = [p["text"] for p in parts or () if isinstance(p, dict) and isinstance(p.get("text"), str)]
    return "\n".join(t for t in texts if t)


class _CallIds:
    """Ids for the history's function calls, and the call each function response answers."""

    def __init__(self) -> None:
        self._count = 0
        self._open: list[tuple[str, str]] = []

    def call(self, call: JSONObject) -> str:
        given = call.get("id")
        call_id = given if isinstance(given, str) and given else f"call_{self._count}"
        self._count += 1
        self._open.append((call_id, str(call.get("name") or "")))
        return call_id

    def answer(self, response: JSONObject) -> str:
        given, name = response.get("id"), str(response.get("name") or "")
        if isinstance(given, str) and given:
            self._open = [(i, n) for i, n in self._open if i != given]
            return given
        for position in range(len(self._open) - 1, -1, -1):
            if self._open[position][1] == name:
                return self._open.pop(position)[0]
        raise InvalidRequest(f"The functionResponse for `{name}` answers no functionCall of the conversation.")


def _messages(contents: list[JSONObject]) -> list[JSONObject]:
    ids = _CallIds()
    messages: list[JSONObject] = []
    for content in contents:
        parts = [p for p in content["parts"] if isinstance(p, dict) and not p.get("thought")]
        if content.get("role") == "model":
            messages.append(_assistant(parts, ids))
        else:
            messages += _user(parts, ids)
    return messages


def _assistant(parts: list[JSONObject], ids: _CallIds) -> JSONObject:
    texts: list[str] = []
    calls: list[JSONObject] = []
    for part in parts:
        call = part.get("functionCall")
        if isinstance(call, dict):
            arguments = _json_text(call.get("args") or {})
            function = {"name": str(call.get("name") or ""), "arguments": arguments}
            calls.append({"id": ids.call(call), "type": "function", "function": function})
        else:
            texts.append(_plain_text(part))
    message: JSONObject = {"role": "assistant", "content": "".join(texts) or (None if calls else "")}
    if calls:
        message["tool_calls"] = calls
    return message


def _plain_text(part: JSONObject) -> str:
    if isinstance(part.get("text"), str):
        return str(part["text"])
    code = part.get("executableCode")
    if isinstance(code, dict):
        return f"\n```{str(code.get('language') or '').lower()}\n{code.get('code') or ''}\n```\n"
    result = part.get("codeExecutionResult")
    if isinstance(result, dict):
        return f"\n```\n{result.get('output') or ''}\n```\n"
    return ""


def _user(parts: list[JSONObject], ids: _CallIds) -> list[JSONObject]:
    messages: list[JSONObject] = []
    content: list[JSONObject] = []
    for part in parts:
        response = part.get("functionResponse")
        if isinstance(response, dict):
            messages.append({"role": "tool", "tool_call_id": ids.answer(response), "content": _result(response)})
            continue
        converted = _content_part(part)
        if converted is not None:
            content.append(converted)
    if content:
        texts = [p["text"] for p in content if p["type"] == "text"]
        single = len(content) == 1 and len(texts) == 1
        messages.append({"role": "user", "content": texts[0] if single else content})
    return messages


def _result(response: JSONObject) -> str:
    """The tool message's content: ``response.output`` when that is all there is, else the whole object."""
    value = response.get("response")
    if isinstance(value, dict) and set(value) == {"output"}:
        value = value["output"]
    return value if isinstance(value, str) else _json_text(value if value is not None else {})


def _content_part(part: JSONObject) -> JSONObject | None:
    if isinstance(part.get("text"), str):
        return {"type": "text", "text": part["text"]} if part["text"] else None
    inline = part.get("inlineData")
    if isinstance(inline, dict):
        return _inline(str(inline.get("mimeType") or ""), str(inline.get("data") or ""))
    linked = part.get("fileData")
    if isinstance(linked, dict):
        uri, mime = str(linked.get("fileUri") or ""), str(linked.get("mimeType") or "")
        if mime.startswith("image/") and uri.startswith(("https://", "http://")) and "googleapis.com" not in uri:
            return {"type": "image_url", "image_url": {"url": uri}}
        raise InvalidRequest(
            "fileData parts (Gemini Files API URIs) reach only Gemini upstreams; send the file as inlineData.",
            param="contents",
        )
    return None if "thoughtSignature" in part else {"type": "text", "text": _plain_text(part)}


def _inline(mime: str, data: str) -> JSONObject:
    if mime.startswith("image/"):
        return {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{data}"}}
    if mime in _AUDIO_FORMATS:
        return {"type": "input_audio", "input_audio": {"data": data, "format": _AUDIO_FORMATS[mime]}}
    extension = mime.rpartition("/")[2] or "bin"
    return {"type": "file", "file": {"file_data": f"data:{mime};base64,{data}", "filename": f"file.{extension}"}}


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()
