"""BFL's refusal of a request's fields: FastAPI's 422 ``{"detail": [{"loc", "msg", "type"}]}``.

Raised at the edge, before anything is held; :mod:`.api.errors` renders it as BFL does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from omnirelay.errors import InvalidRequest

__all__ = ["InvalidFields", "field_error"]


class InvalidFields(InvalidRequest):
    status_code = 422
    code = "invalid_fields"

    def __init__(self, detail: Sequence[dict[str, Any]]) -> None:
        first = detail[0] if detail else {"loc": ["body"], "msg": "Invalid request"}
        super().__init__(str(first["msg"]), param=str(first["loc"][-1]))
        self.detail = list(detail)


def field_error(loc: Sequence[str | int], msg: str, kind: str) -> InvalidFields:
    """One field's refusal (``kind`` is pydantic's error type: ``missing``, ``int_type``, ``multiple_of``...)."""
    return InvalidFields([{"loc": list(loc), "msg": msg, "type": kind}])
