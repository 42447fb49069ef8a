"""The fake BFL's wire: FastAPI's error shapes, the ``x-key`` check and the request checks (spec §4.1)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from starlette.responses import JSONResponse

from omnirelay.testing._fake_bfl_knobs import FakeBflKnobs

__all__ = ["MODELS", "BflProblem", "checked_request", "key_owner"]

MODELS = frozenset(
    {"flux-pro-1.1", "flux-pro-1.1-ultra", "flux-pro", "flux-dev", "flux-kontext-pro", "flux-kontext-max",
     "flux-pro-1.0-fill", "flux-pro-1.0-canny", "flux-pro-1.0-depth", "flux-pro-1.0-expand", "flux-2-pro",
     "flux-2-flex"}
)  # fmt: skip
_SIZED = ("flux-pro-1.1", "flux-pro", "flux-dev")


class BflProblem(Exception):
    """An error answer: HTTP status and FastAPI's ``detail`` (a message, or a list of field errors)."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(str(detail))
        self.status, self.detail = status, detail

    def response(self) -> JSONResponse:
        return JSONResponse({"detail": self.detail}, status_code=self.status)


def key_owner(x_key: str | None, knobs: FakeBflKnobs) -> str:
    """The key a call is made with; 403 as BFL answers a missing or unknown key."""
    if not x_key:
        raise BflProblem(403, "Not authenticated - Missing API key")
    if knobs.api_keys and x_key not in knobs.api_keys:
        raise BflProblem(403, "Not authenticated - Invalid Authentication")
    return x_key


def _field(field: str, msg: str, kind: str) -> dict[str, Any]:
    return {"loc": ["body", field], "msg": msg, "type": kind}


def _size_errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    errors = []
    for field in ("width", "height"):
        value = body.get(field)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 256 <= value <= 1440 or value % 32:
            errors.append(_field(field, "Input should be a multiple of 32 between 256 and 1440", "value_error"))
    return errors


def _other_errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    errors = []
    tolerance = body.get("safety_tolerance")
    if tolerance is not None and (not isinstance(tolerance, int) or not 0 <= tolerance <= 6):
        errors.append(_field("safety_tolerance", "Input should be less than or equal to 6", "less_than_equal"))
    if body.get("output_format") not in (None, "jpeg", "png"):
        errors.append(_field("output_format", "Input should be 'jpeg' or 'png'", "literal_error"))
    prompt = body.get("image_prompt")
    if isinstance(prompt, str):
        try:
            base64.b64decode(prompt, validate=True)
        except (binascii.Error, ValueError):
            errors.append(_field("image_prompt", "Invalid base64 image", "value_error"))
    return errors


def checked_request(model: str, body: Any) -> dict[str, Any]:
    """The request body, or BFL's 404 (no such model) / 422 (fields) for it."""
    if model not in MODELS:
        raise BflProblem(404, "Not Found")
    if not isinstance(body, dict):
        raise BflProblem(422, [{"loc": ["body"], "msg": "Input should be a valid dictionary", "type": "dict_type"}])
    promptless = model in ("flux-pro-1.0-fill", "flux-pro-1.0-expand")
    errors = (
        [] if promptless or isinstance(body.get("prompt"), str) else [_field("prompt", "Field required", "missing")]
    )
    errors += (_size_errors(body) if model in _SIZED else []) + _other_errors(body)
    if errors:
        raise BflProblem(422, errors)
    return body
