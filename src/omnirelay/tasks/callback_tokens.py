"""The callback URL an upstream is given for one task: ``{base}{path}/{task id}/{token}``.

The token is an HMAC of the task id under a key used for nothing else (derived from the
secret key), so it names one task only: it cannot serve another task, and no link the
gateway hands to clients can stand in for it. A callback is only ever a hint that the task
changed (the engine then polls the upstream, :meth:`~omnirelay.tasks.engine.TaskEngine.poll_soon`),
so even a leaked token cannot move money.
"""

from __future__ import annotations

from omnirelay.files.links import LinkSigner

__all__ = ["CallbackTokens"]

_SCOPE = "task-callback"


class CallbackTokens:
    def __init__(self, key: bytes, path: str) -> None:
        self._signer = LinkSigner(key)
        self._path = path.rstrip("/")

    def url(self, base_url: str, task_id: str) -> str:
        return f"{base_url.rstrip('/')}{self._path}/{task_id}/{self._signer.sign(_SCOPE, task_id)}"

    def verify(self, task_id: str, token: str) -> bool:
        """Constant-time check of ``token`` against ``task_id``'s."""
        return self._signer.verify(_SCOPE, task_id, token)
