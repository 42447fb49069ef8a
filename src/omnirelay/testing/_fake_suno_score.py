"""What the fake Suno "composes": a score of notes per instrument, deterministic in the clip id.

The score is the single source of every medium: the served audio is the score synthesised as
sine tones, ``/act/midi`` answers its notes, stems keep one instrument, and extends, infills and
concats cut and join scores, so a concatenated song really is its parts played in a row.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

import numpy as np

__all__ = ["SAMPLE_RATE", "Note", "Score", "compose", "join", "synthesise"]

SAMPLE_RATE = 24_000
_SCALE = (60, 62, 64, 67, 69, 72, 74, 76)  # C major pentatonic, two octaves
_BASS = (36, 43, 45, 41)  # C G A F
_RELEASE_S = 0.08


@dataclass(frozen=True)
class Note:
    pitch: int
    start: float
    end: float
    velocity: int


@dataclass(frozen=True)
class Score:
    """Instruments by name, each a tuple of notes, over ``seconds``."""

    instruments: tuple[tuple[str, tuple[Note, ...]], ...]
    seconds: float

    def only(self, name: str) -> Score:
        """The score with one instrument kept (a stem); empty if it has no such instrument."""
        return Score(tuple((n, notes) for n, notes in self.instruments if n == name), self.seconds)

    def cut(self, start: float, end: float) -> Score:
        """The part between ``start`` and ``end`` (clamped to the score), shifted to begin at 0."""
        start = min(max(0.0, start), self.seconds)
        end = min(max(start, end), self.seconds)
        kept = tuple(
            (name, tuple(_shift(note, start, end) for note in notes if note.end > start and note.start < end))
            for name, notes in self.instruments
        )
        return Score(kept, round(end - start, 3))

    def to_json(self) -> list[dict[str, object]]:
        """``/act/midi``'s ``instruments``: ``[{name, notes: [{pitch, start, end, velocity}]}]``."""
        return [
            {
                "name": name,
                "notes": [{"pitch": n.pitch, "start": n.start, "end": n.end, "velocity": n.velocity} for n in notes],
            }
            for name, notes in self.instruments
        ]


def _shift(note: Note, start: float, end: float) -> Note:
    return Note(
        note.pitch, round(max(note.start, start) - start, 3), round(min(note.end, end) - start, 3), note.velocity
    )


def _rng(seed: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))


def compose(seed: str, seconds: float, *, vocals: bool = True) -> Score:
    """A melody (``Vocals`` when the song is sung, ``Lead`` when instrumental) over a bass line."""
    rng = _rng(seed)
    beat = rng.choice((0.25, 0.3, 0.375))
    melody: list[Note] = []
    t = 0.0
    while t < seconds - 1e-6:
        length = min(beat * rng.choice((1, 1, 2)), seconds - t)
        melody.append(Note(rng.choice(_SCALE), round(t, 3), round(t + length, 3), rng.randint(70, 110)))
        t += length
    bass: list[Note] = []
    bar = beat * 4
    for index in range(int(np.ceil(seconds / bar))):
        start = index * bar
        bass.append(Note(_BASS[index % len(_BASS)], round(start, 3), round(min(start + bar, seconds), 3), 80))
    lead = "Vocals" if vocals else "Lead"
    return Score(((lead, tuple(melody)), ("Bass", tuple(bass))), round(seconds, 3))


def join(parts: list[Score]) -> Score:
    """The parts played one after another (instruments merged by name)."""
    merged: dict[str, list[Note]] = {}
    offset = 0.0
    for part in parts:
        for name, notes in part.instruments:
            shifted = (Note(n.pitch, round(n.start + offset, 3), round(n.end + offset, 3), n.velocity) for n in notes)
            merged.setdefault(name, []).extend(shifted)
        offset += part.seconds
    return Score(tuple((name, tuple(notes)) for name, notes in merged.items()), round(offset, 3))


def synthesise(score: Score) -> np.ndarray:
    """Float32 mono samples in [-1, 1] at :data:`SAMPLE_RATE`: every note a sine tone with a soft release."""
    total = max(1, int(round(score.seconds * SAMPLE_RATE)))
    out = np.zeros(total, dtype=np.float32)
    for _, notes in score.instruments:
        for note in notes:
            _add_tone(out, note)
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    if peak > 0:
        out *= 0.5 / peak
    return out


def _add_tone(out: np.ndarray, note: Note) -> None:
    first = int(note.start * SAMPLE_RATE)
    last = min(out.size, int(note.end * SAMPLE_RATE))
    if last <= first:
        return
    t = np.arange(last - first, dtype=np.float32) / SAMPLE_RATE
    frequency = 440.0 * 2.0 ** ((note.pitch - 69) / 12)
    envelope = np.minimum(1.0, t / 0.01) * np.minimum(1.0, (t[-1] - t + 1e-3) / _RELEASE_S)
    out[first:last] += (note.velocity / 127) * envelope * np.sin(2 * np.pi * frequency * t)
