"""Encode synthesised samples in every ``response_format`` of ``/audio/speech``.

Like OpenAI's, every format is mono at 24 kHz: ``pcm`` is raw signed 16-bit little-endian,
``wav`` a 16-bit PCM WAV (both written here directly); ``mp3``, ``opus`` (in Ogg), ``aac``
(ADTS) and ``flac`` are encoded by PyAV (FFmpeg), installed with the ``speech`` extra.
"""

from __future__ import annotations

import io
import wave
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # loaded with the first synthesis, not with the gateway
    import numpy as np

__all__ = ["MEDIA_TYPES", "OUTPUT_RATE", "encode", "resample"]

OUTPUT_RATE = 24_000
MEDIA_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}
_AV_FORMATS = {
    "mp3": ("mp3", "libmp3lame"),
    "opus": ("ogg", "libopus"),
    "aac": ("adts", "aac"),
    "flac": ("flac", "flac"),
}


def resample(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Linear interpolation: plenty for speech going up from 22.05 to 24 kHz."""
    import numpy as np

    if source_rate == target_rate or samples.size == 0:
        return samples
    count = int(round(samples.size * target_rate / source_rate))
    positions = np.arange(count, dtype=np.float64) * (source_rate / target_rate)
    resampled: np.ndarray = np.interp(positions, np.arange(samples.size), samples).astype(np.float32)
    return resampled


def _pcm16(samples: np.ndarray) -> np.ndarray:
    import numpy as np

    pcm: np.ndarray = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    return pcm


def _wav(pcm: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(OUTPUT_RATE)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def _with_av(pcm: np.ndarray, response_format: str) -> bytes:
    import av

    container_format, codec = _AV_FORMATS[response_format]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=OUTPUT_RATE, layout="mono")
        assert isinstance(stream, av.AudioStream)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.rate = OUTPUT_RATE
        resampler = av.AudioResampler(format=stream.codec_context.format, layout="mono", rate=OUTPUT_RATE)
        for converted in resampler.resample(frame):
            container.mux(stream.encode(converted))
        container.mux(stream.encode(None))
    return buffer.getvalue()


def encode(samples: np.ndarray, sample_rate: int, response_format: str) -> bytes:
    """Float samples in [-1, 1] at ``sample_rate`` as a file (or raw stream) in ``response_format``."""
    pcm = _pcm16(resample(samples, sample_rate, OUTPUT_RATE))
    if response_format == "pcm":
        return pcm.tobytes()
    if response_format == "wav":
        return _wav(pcm)
    if response_format not in _AV_FORMATS:
        raise ValueError(f"unknown audio format {response_format!r}")
    return _with_av(pcm, response_format)
