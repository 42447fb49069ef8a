"""The fake Kling's wire: the ``{code, message, request_id, data}`` envelope, its error codes (KL commonInfo),
the JWT check (HS256 signed with the secret key, ``iss`` = access key, ``exp``/``nbf``) and the create checks.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from starlette.responses import JSONResponse

from omnirelay.testing._fake_kling_knobs import FakeKlingKnobs

__all__ = ["KlingProblem", "checked_create", "envelope", "token_owner"]

_ASPECTS = {
    "video": ("16:9", "9:16", "1:1"),
    "images": ("16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9"),
}
_MAX_PROMPT = 2500


class KlingProblem(Exception):
    """An error answer: HTTP status, Kling's service code and message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> JSONResponse:
        body = {"code": self.code, "message": self.message, "request_id": str(uuid.uuid4())}
        return JSONResponse(body, status_code=self.status)


def envelope(data: Any) -> JSONResponse:
    return JSONResponse({"code": 0, "message": "SUCCEED", "request_id": str(uuid.uuid4()), "data": data})


def _claims(token: str, knobs: FakeKlingKnobs) -> dict[str, Any]:
    try:
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError as exc:
        raise KlingProblem(401, 1002, f"Authorization is invalid: {exc}") from exc
    secret = knobs.keys.get(issuer) if isinstance(issuer, str) else None
    if secret is None:
        raise KlingProblem(401, 1002, "Authorization is invalid: unknown access key")
    try:
        return jwt.decode(
            token, secret, algorithms=["HS256"], issuer=issuer, options={"require": ["iss", "exp", "nbf"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise KlingProblem(401, 1004, "Authorization has expired") from exc
    except jwt.ImmatureSignatureError as exc:
        raise KlingProblem(401, 1003, "Authorization is not yet valid") from exc
    except jwt.PyJWTError as exc:
        raise KlingProblem(401, 1002, f"Authorization is invalid: {exc}") from exc


def token_owner(authorization: str | None, knobs: FakeKlingKnobs) -> str:
    """The access key whose valid token ``authorization`` carries ("" when the fake checks no token)."""
    if not knobs.keys:
        return ""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise KlingProblem(401, 1001, "Authorization is empty")
    claims = _claims(token.strip(), knobs)
    lifetime = knobs.token_lifetime_s
    if lifetime is not None and time.time() - (float(claims["nbf"]) + 5) > lifetime:
        raise KlingProblem(401, 1004, "Authorization has expired")
    return str(claims["iss"])


def _invalid(message: str) -> KlingProblem:
    return KlingProblem(400, 1201, message)


def _check_text(body: dict[str, Any], field: str, required: bool) -> None:
    value = body.get(field)
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value.strip()):
        raise _invalid(f"{field} is required" if required else f"{field} must be a string")
    if len(value) > _MAX_PROMPT:
        raise _invalid(f"{field} must be at most {_MAX_PROMPT} characters")


def checked_create(kind: str, body: Any, knobs: FakeKlingKnobs) -> dict[str, Any]:
    """The create body, or the 400 Kling answers for it (1201 bad parameter, 1301 content safety)."""
    if not isinstance(body, dict):
        raise KlingProblem(400, 1200, "The request body must be a JSON object")
    _check_text(body, "prompt", required=kind != "image2video")
    _check_text(body, "negative_prompt", required=False)
    if kind == "image2video" and not (isinstance(body.get("image"), str) and body["image"]):
        raise _invalid("image is required")
    aspects = _ASPECTS["images" if kind == "images" else "video"]
    if body.get("aspect_ratio") is not None and body["aspect_ratio"] not in aspects:
        raise _invalid(f"aspect_ratio must be one of {', '.join(aspects)}")
    if kind != "images" and body.get("duration") is not None and str(body["duration"]) not in ("5", "10"):
        raise _invalid("duration must be 5 or 10")
    if kind == "images" and not (isinstance(body.get("n", 1), int) and 1 <= body.get("n", 1) <= 9):
        raise _invalid("n must be an integer from 1 to 9")
    model = body.get("model_name", "kling-v1")
    if not isinstance(model, str) or not model.startswith("kling-"):
        raise KlingProblem(404, 1203, f"model {model!r} not found")
    prompt = str(body.get("prompt") or "")
    if any(word in prompt for word in knobs.moderate_prompts_containing):
        raise KlingProblem(400, 1301, "The content of the prompt did not pass the platform's safety check")
    return body
