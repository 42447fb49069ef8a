"""The files the fake Suno serves: real audio (MP3, WAV), a real MP4 with sound, PNG cover art.

Audio is the clip's score synthesised at 24 kHz mono. MP3 and MP4 (H.264 + AAC, ``faststart``)
are encoded with PyAV, installed with the ``speech`` extra; without it the ``.mp3`` URLs serve
the WAV (``audio/wav``, which browsers play as well) and ``.mp4`` the silent clip of the fake
Midjourney. Files are rendered on first request and kept (a few dozen, least recently used out).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import wave
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from omnirelay.providers.local.audio_codec import encode
from omnirelay.testing._fake_mj_video import TINY_MP4
from omnirelay.testing._fake_suno_score import SAMPLE_RATE, Score, synthesise

__all__ = ["audio_file", "cover_png", "sniff_audio", "video_file", "waveform", "wav_seconds"]

_VIDEO_SIDE = 96
_VIDEO_FPS = 10
_CACHE = 64


@lru_cache(maxsize=_CACHE)
def audio_file(score: Score, kind: str) -> tuple[bytes, str]:
    """``kind`` ``"mp3"`` or ``"wav"``: the file and its media type (WAV when MP3 cannot be encoded)."""
    samples = synthesise(score)
    if kind == "mp3":
        try:
            return encode(samples, SAMPLE_RATE, "mp3"), "audio/mpeg"
        except ImportError:
            pass
    return encode(samples, SAMPLE_RATE, "wav"), "audio/wav"


@lru_cache(maxsize=_CACHE)
def video_file(score: Score, seed: str) -> bytes:
    """An MP4 of the song: a coloured square with a bar that follows the music, and the audio."""
    try:
        import av  # noqa: F401 - probe only
    except ImportError:
        return TINY_MP4
    handle, path = tempfile.mkstemp(suffix=".mp4")  # faststart rewrites the file, so not a BytesIO
    os.close(handle)
    try:
        _encode_mp4(path, score, _colour(seed))
        with open(path, "rb") as file:
            return file.read()
    finally:
        os.unlink(path)


def _encode_mp4(path: str, score: Score, colour: tuple[int, int, int]) -> None:
    import av

    samples = synthesise(score)
    levels = waveform(score, max(1, int(score.seconds * _VIDEO_FPS)))
    with av.open(path, "w", format="mp4", options={"movflags": "faststart"}) as container:
        video = container.add_stream("libx264", rate=_VIDEO_FPS, options={"crf": "35", "preset": "veryfast"})
        assert isinstance(video, av.VideoStream)
        video.width = video.height = _VIDEO_SIDE
        video.pix_fmt = "yuv420p"
        audio = container.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        assert isinstance(audio, av.AudioStream)
        for level in levels:
            picture = av.VideoFrame.from_ndarray(_frame(colour, level), format="rgb24")
            for packet in video.encode(picture):
                container.mux(packet)
        for packet in video.encode(None):
            container.mux(packet)
        pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.rate = SAMPLE_RATE
        resampler = av.AudioResampler(format=audio.codec_context.format, layout="mono", rate=SAMPLE_RATE)
        for converted in resampler.resample(frame):
            container.mux(audio.encode(converted))
        container.mux(audio.encode(None))


def _frame(colour: tuple[int, int, int], level: float) -> np.ndarray:
    image = np.empty((_VIDEO_SIDE, _VIDEO_SIDE, 3), dtype=np.uint8)
    image[:] = colour
    height = max(2, int(level * (_VIDEO_SIDE - 16)))
    image[_VIDEO_SIDE - 8 - height : _VIDEO_SIDE - 8, 40:56] = 255
    return image


def _colour(seed: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(seed.encode()).digest()
    return 40 + digest[0] % 160, 40 + digest[1] % 160, 40 + digest[2] % 160


@lru_cache(maxsize=_CACHE)
def cover_png(seed: str, side: int) -> bytes:
    """Cover art: a two-colour diagonal gradient with a disc, deterministic in ``seed``."""
    first, second = _colour(seed), _colour(seed[::-1])
    ramp = np.linspace(0.0, 1.0, side, dtype=np.float32)
    mix = (ramp[None, :] + ramp[:, None])[..., None] / 2
    pixels = (np.array(first) * (1 - mix) + np.array(second) * mix).astype(np.uint8)
    image = Image.fromarray(pixels, "RGB")
    quarter = side // 4
    ImageDraw.Draw(image).ellipse((quarter, quarter, side - quarter, side - quarter), outline=(255, 255, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def waveform(score: Score, points: int = 100) -> list[float]:
    """Peak level of the audio in ``points`` equal slices, 0..1 (``/act/timing``'s ``waveform_data``)."""
    samples = np.abs(synthesise(score))
    slices = np.array_split(samples, points)
    top = float(samples.max()) if samples.size else 0.0
    return [round(float(part.max()) / top, 3) if part.size and top > 0 else 0.0 for part in slices]


def sniff_audio(data: bytes) -> str | None:
    """The media type of an uploaded audio file, judged by its first bytes; None when it is not audio."""
    head = data[:12]
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head[4:8] == b"ftyp":
        return "audio/mp4"
    return None


def wav_seconds(data: bytes) -> float | None:
    try:
        with wave.open(io.BytesIO(data)) as wav:
            return round(float(wav.getnframes()) / float(wav.getframerate()), 3)
    except (wave.Error, EOFError):
        return None
