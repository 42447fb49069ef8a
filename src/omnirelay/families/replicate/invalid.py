"""The one error of the error tree that Replicate's 422 answers need: a list of the invalid fields."""

from __future__ import annotations

from collections.abc import Sequence

from omnirelay.errors import InvalidRequest

__all__ = ["InvalidFields"]


class InvalidFields(InvalidRequest):
    """The body or its ``input`` has fields Replicate would refuse (422 with ``invalid_fields``)."""

    status_code = 422
    code = "invalid_fields"

    def __init__(self, fields: Sequence[dict[str, str]]) -> None:
        lines = "".join(f"- {f['field'] or '(root)'}: {f['description']}\n" for f in fields)
        super().__init__(lines or "Input validation failed", param=fields[0]["field"] if fields else None)
        self.fields = list(fields)
