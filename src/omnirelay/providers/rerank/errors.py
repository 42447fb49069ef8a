"""Rerank upstreams' error answers, brought to the OpenAI shape, then into ``omnirelay.errors``.

Jina answers ``{"detail": ...}`` (a string, or FastAPI's list of problems), Cohere
``{"message": ...}``. Both are rewritten as ``{"error": {"message": ...}}`` and handed to
the OpenAI-compatible adapter's :func:`error_for_status`, which decides retry and status.
"""

from __future__ import annotations

from typing import Any

import orjson

from omnirelay.errors import UpstreamError
from omnirelay.providers.openai_compat.errors import error_for_status

__all__ = ["as_openai_error", "error_for_answer"]


def _detail_text(detail: Any) -> str:
    if isinstance(detail, list):
        parts = [str(d.get("msg") or d) if isinstance(d, dict) else str(d) for d in detail]
        return "; ".join(parts)
    return str(detail)


def as_openai_error(body: bytes) -> bytes:
    """The error body in the OpenAI shape (bodies already in it, and unreadable ones, are kept)."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    if not isinstance(parsed, dict) or isinstance(parsed.get("error"), dict):
        return body
    if isinstance(parsed.get("message"), str):
        message = parsed["message"]
    elif "detail" in parsed:
        message = _detail_text(parsed["detail"])
    elif isinstance(parsed.get("error"), str):
        message = parsed["error"]
    else:
        return body
    return orjson.dumps({"error": {"message": message, "type": None, "param": None, "code": None}})


def error_for_answer(status: int, body: bytes, channel_hint: str) -> UpstreamError:
    return error_for_status(status, as_openai_error(body), channel_hint)
