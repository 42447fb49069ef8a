"""The fake Ark's wire: its error answers (``{"error": {code, message, param, type}}``), the Bearer
key check, and the few request checks Ark makes before it accepts a call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse

from omnirelay.testing._fake_ark_knobs import FakeArkKnobs

__all__ = ["ArkProblem", "caller_key", "prompt_of", "refuse_or_admit"]

_TYPES = {400: "BadRequest", 401: "Unauthorized", 404: "NotFound", 429: "TooManyRequests", 500: "InternalServerError"}


class ArkProblem(Exception):
    def __init__(self, status: int, code: str, message: str, param: str = "") -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.param = status, code, message, param

    def response(self) -> JSONResponse:
        kind = _TYPES.get(self.status, "BadRequest")
        body = {"error": {"code": self.code, "message": self.message, "param": self.param, "type": kind}}
        return JSONResponse(body, status_code=self.status)


def caller_key(header: str | None, knobs: FakeArkKnobs) -> str:
    scheme, _, key = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ArkProblem(401, "AuthenticationError", "The API key is missing or malformed.")
    if knobs.keys and key.strip() not in knobs.keys:
        raise ArkProblem(401, "AuthenticationError", "The API key is invalid.")
    return key.strip()


def prompt_of(body: Mapping[str, Any]) -> str:
    """The prompt of an image call, or the text items of a task's content."""
    if isinstance(body.get("prompt"), str):
        return str(body["prompt"])
    content = body.get("content")
    items = content if isinstance(content, list) else []
    return " ".join(str(i.get("text")) for i in items if isinstance(i, Mapping) and i.get("type") == "text")


def refuse_or_admit(body: Any, knobs: FakeArkKnobs) -> dict[str, Any]:
    """The body, or the refusal Ark would answer (rate limit, fault, bad body, moderation)."""
    if knobs.rate_limit_next > 0:
        knobs.rate_limit_next -= 1
        raise ArkProblem(429, "RateLimitExceeded", "Too many requests (the fake was told so: rate_limit_next).")
    if knobs.error_next > 0:
        knobs.error_next -= 1
        raise ArkProblem(500, "InternalServiceError", "The fake was told to fail this call (error_next).")
    if not isinstance(body, dict) or not isinstance(body.get("model"), str) or not body["model"]:
        raise ArkProblem(400, "InvalidParameter", "model is required.", "model")
    prompt = prompt_of(body)
    if any(word in prompt for word in knobs.moderate_prompts_containing):
        raise ArkProblem(
            400, "InputTextSensitiveContentDetected", "The request failed because the input text may contain "
            "sensitive information.", "prompt"
        )  # fmt: skip
    return body
