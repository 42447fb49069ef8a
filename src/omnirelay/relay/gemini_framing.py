"""How a streamed Gemini answer is framed for the client: server-sent events or one JSON array.

``:streamGenerateContent?alt=sse`` (what the SDKs and Gemini CLI ask for) gets ``data: <json>``
events separated by ``\\r\\n\\r\\n``, as Google sends them, with no ``[DONE]``. Without ``alt=sse``
Gemini answers one JSON array whose elements are the same fragments; the gateway streams that
array too (``[``, the fragments separated by ``,\\r\\n``, then ``]``), fragment by fragment.
"""

from __future__ import annotations

import orjson

from omnirelay.errors import OmniRelayError

__all__ = ["GeminiFraming", "error_payload"]

_SSE_MEDIA = b"text/event-stream; charset=utf-8"
_ARRAY_MEDIA = b"application/json; charset=utf-8"
_ERROR_STATUS = {503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED", 502: "UNAVAILABLE"}


def error_payload(exc: OmniRelayError) -> bytes:
    """A mid-stream failure as Gemini sends it: a fragment that is only ``{"error": {...}}``."""
    status = _ERROR_STATUS.get(exc.status_code, "INTERNAL")
    return orjson.dumps({"error": {"code": exc.status_code, "message": exc.message, "status": status}})


class GeminiFraming:
    def __init__(self, sse: bool) -> None:
        self.sse = sse
        self._opened = False

    @property
    def media_type(self) -> bytes:
        return _SSE_MEDIA if self.sse else _ARRAY_MEDIA

    def frame(self, payload: bytes) -> bytes:
        if self.sse:
            return b"data: " + payload + b"\r\n\r\n"
        separator = b",\r\n" if self._opened else b"["
        self._opened = True
        return separator + payload

    def close(self) -> bytes:
        """The end of the stream (the array's closing bracket; nothing for events)."""
        if self.sse:
            return b""
        return b"]" if self._opened else b"[]"
