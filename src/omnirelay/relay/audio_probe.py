"""What the gateway can tell about an uploaded audio file by itself: its container and its length.

The container comes from the file's first bytes, so an upload that is not audio is refused
before any upstream is called, with or without the ``speech`` extra. The length is read from
a WAV header, or by PyAV (installed with the ``speech`` extra) for other containers.
"""

from __future__ import annotations

import io
import wave

__all__ = ["audio_container", "audio_seconds"]

_PREFIXES: tuple[tuple[bytes, str], ...] = (
    (b"fLaC", "flac"),
    (b"OggS", "ogg"),
    (b"ID3", "mp3"),
    (b"\x1a\x45\xdf\xa3", "webm"),
    (b"#!AMR", "amr"),
)


def audio_container(content: bytes) -> str | None:
    """``wav``, ``mp3``, ``aac``, ``flac``, ``ogg``, ``mp4``, ``webm`` or ``amr``; None for anything else."""
    head = content[:12]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[4:8] == b"ftyp":
        return "mp4"
    for prefix, name in _PREFIXES:
        if head.startswith(prefix):
            return name
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:  # an MPEG audio frame header
        return "aac" if head[1] & 0x06 == 0 else "mp3"
    return None


def _wav_seconds(content: bytes) -> float | None:
    try:
        with wave.open(io.BytesIO(content)) as wav:
            frame_bytes = wav.getsampwidth() * wav.getnchannels()
            # a streamed WAV may announce more frames than it holds
            frames = min(wav.getnframes(), len(content) // max(frame_bytes, 1))
            return frames / wav.getframerate() if wav.getframerate() else None
    except (wave.Error, EOFError):
        return None


def _av_seconds(content: bytes) -> float | None:
    try:
        import av
    except ImportError:
        return None
    try:
        with av.open(io.BytesIO(content), "r") as container:
            if container.duration:
                return float(container.duration) / 1_000_000
            stream = container.streams.audio[0]
            samples: int = sum(frame.samples for frame in container.decode(stream))
            return samples / stream.rate if stream.rate else None
    except (av.FFmpegError, IndexError, ValueError, OSError):
        return None


def audio_seconds(content: bytes) -> float | None:
    """The audio's length in seconds, or None when it cannot be told here."""
    if audio_container(content) == "wav":
        seconds = _wav_seconds(content)
        if seconds is not None:
            return seconds
    return _av_seconds(content)
