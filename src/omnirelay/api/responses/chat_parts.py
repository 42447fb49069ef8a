"""Responses content parts -> chat content parts, for models served by chat-only channels.

``input_text``, ``input_image``, ``input_file`` and ``input_audio`` have chat twins (§1.11).
What a chat upstream cannot fetch (an image or file given only by a Responses-side ``file_id``
or a ``file_url``) is a 400 naming the part, so the client can send the bytes inline instead.
``prompt_cache_breakpoint`` has no chat equivalent and is not sent.
"""

from __future__ import annotations

from typing import Any

from omnirelay.errors import InvalidRequest

__all__ = ["chat_part", "tool_output"]

Part = dict[str, Any]

_DETAILS = {"low": "low", "high": "high", "auto": "auto", "original": "high"}
"""Chat's image ``detail`` for each Responses one (chat has no ``original``: the closest is ``high``)."""


def chat_part(part: Part, where: str) -> Part:
    """The chat content part for one part of a user, system or developer message (or tool output)."""
    kind = part.get("type")
    if kind == "input_text":
        if not isinstance(part.get("text"), str):
            raise InvalidRequest(f"{where}.text must be a string.", param=f"{where}.text")
        return {"type": "text", "text": part["text"]}
    if kind == "input_image":
        return _image(part, where)
    if kind == "input_file":
        return _file(part, where)
    if kind == "input_audio" and isinstance(part.get("input_audio"), dict):
        return {"type": "input_audio", "input_audio": part["input_audio"]}
    hint = " (Responses parts are input_text, input_image, input_file or input_audio)"
    raise InvalidRequest(f"{where}: unsupported content part type {kind!r}{hint}.", param=f"{where}.type")


def _image(part: Part, where: str) -> Part:
    url = part.get("image_url")
    if not isinstance(url, str) or not url:
        if part.get("file_id"):
            message = f"{where}: an image given by file_id cannot be sent to a chat-only channel;"
            raise InvalidRequest(f"{message} send it as image_url (a URL or a data: URL).", param=f"{where}.file_id")
        raise InvalidRequest(f"{where}.image_url is required (a URL or a data: URL).", param=f"{where}.image_url")
    image: Part = {"url": url}
    detail = _DETAILS.get(str(part.get("detail")))
    if detail is not None:
        image["detail"] = detail
    return {"type": "image_url", "image_url": image}


def _file(part: Part, where: str) -> Part:
    file = {key: part[key] for key in ("file_data", "file_id", "filename") if isinstance(part.get(key), str)}
    if "file_data" in file or "file_id" in file:
        return {"type": "file", "file": file}
    if part.get("file_url"):
        message = f"{where}: a file_url cannot be fetched for a chat-only channel; send file_data"
        raise InvalidRequest(f"{message} (base64) or a file_id instead.", param=f"{where}.file_url")
    raise InvalidRequest(f"{where}: an input_file needs file_data or file_id.", param=where)


def tool_output(output: Any, call_id: str, where: str, attachments: list[Part]) -> str:
    """A ``function_call_output``'s text for chat's ``tool`` message.

    Chat tool messages hold text only: image and file parts are added to ``attachments``, which
    the caller sends as a user message right after the run of tool messages."""
    if isinstance(output, str):
        return output
    if not isinstance(output, list):
        raise InvalidRequest(f"{where} must be a string or an array of content parts.", param=where)
    texts: list[str] = []
    attached: list[Part] = []
    for j, part in enumerate(output):
        if not isinstance(part, dict):
            raise InvalidRequest(f"{where}[{j}] must be an object.", param=f"{where}[{j}]")
        converted = chat_part(part, f"{where}[{j}]")
        if converted["type"] == "text":
            texts.append(converted["text"])
        else:
            attached.append(converted)
    if attached:
        attachments += [{"type": "text", "text": f"Attachments returned by tool call {call_id}:"}, *attached]
    if texts:
        return "".join(texts)
    return "(attachments follow in the next message)" if attached else ""
