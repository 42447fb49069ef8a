"""Relay synthesised audio to the client as it arrives, and bill the characters spoken."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from omnirelay.errors import UpstreamError
from omnirelay.providers.base import Usage
from omnirelay.relay.audio import OpenedSpeech
from omnirelay.relay.job import Job

__all__ = ["SpeechSession"]


class SpeechSession:
    """Audio chunks for the client; :meth:`finish` settles the job once, whatever happened.

    Outcomes: the audio was delivered whole, or the client went away before its end (the
    upstream synthesised the input either way: bill its characters), or the upstream broke
    off (refund all; the client's connection is cut so the truncated file is noticed).
    """

    def __init__(self, job: Job, characters: int, opened: OpenedSpeech) -> None:
        self._job = job
        self._characters = characters
        self._opened = opened
        self._completed = False
        self._upstream_error: UpstreamError | None = None

    @property
    def media_type(self) -> str:
        return self._opened.stream.media_type

    async def chunks(self) -> AsyncGenerator[bytes, None]:
        try:
            if self._opened.first:
                yield self._opened.first
            async for chunk in self._opened.chunks:
                if chunk:
                    yield chunk
        except UpstreamError as exc:
            self._upstream_error = exc
            raise
        except Exception as exc:  # a fault of ours must not cost the client: refund, then report it
            self._upstream_error = UpstreamError(f"the audio stream failed inside the gateway: {exc}")
            raise
        self._completed = True

    async def finish(self) -> None:
        """Close the upstream and settle: call exactly once, from a ``finally``."""
        await self._opened.stream.aclose()
        job = self._job
        if self._upstream_error is not None:
            await job.fail(self._upstream_error)
            return
        usage = Usage(self._characters, 0)
        if self._completed:
            await job.succeed(usage)
            return
        await job.succeed(usage, status=499, error="client disconnected before the audio ended")
