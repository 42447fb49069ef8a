"""Text to a Piper voice's phoneme ids, with Debian's ``espeak-ng`` program for the phonemes.

espeak-ng is GPL-3.0, so it is only ever *executed*, as a separate process (``espeak-ng -q
--ipa``), never imported or linked: no GPL code runs in the gateway's process.

The text is cut into clauses at punctuation followed by a space; espeak-ng writes one line of
IPA per clause. Each clause's IPA gets its punctuation back, clauses are grouped into sentences
(ending in ``.``, ``!`` or ``?``), and each sentence becomes ``^ _ p1 _ p2 _ ... $``: the voice's
ids for begin, pad after every phoneme, end. Characters the voice does not know are skipped.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Clause", "clauses", "phoneme_ids", "phonemize", "sentences"]

_BREAK = re.compile(r"(?<=[.,;:!?])\s+")
_PUNCTUATION = ".,;:!?"
_SENTENCE_END = ".!?"
_WORDY = re.compile(r"\w")
_UNSAFE = re.compile(r"[\[\]<>\s]+")
"""``[[`` starts espeak's phoneme input and ``<`` markup; newlines would split clauses."""
_TIMEOUT_S = 60


@dataclass(frozen=True, slots=True)
class Clause:
    words: str
    punctuation: str
    """One of ``.,;:!?``, or empty."""


def clauses(text: str) -> list[Clause]:
    """The clauses of ``text`` that have something to say."""
    found: list[Clause] = []
    for piece in _BREAK.split(text.strip()):
        words = piece.rstrip(_PUNCTUATION)
        if _WORDY.search(words):
            found.append(Clause(_UNSAFE.sub(" ", words).strip(), piece[len(words) :][-1:]))
    return found


def _espeak(lines: Sequence[str], voice: str) -> list[str]:
    program = shutil.which("espeak-ng")
    if program is None:
        raise FileNotFoundError("espeak-ng is not installed (Debian/Ubuntu: apt-get install espeak-ng)")
    done = subprocess.run(  # noqa: S603 - a fixed program; the text goes through stdin
        [program, "-q", "--ipa", "-b", "1", "-v", voice],
        input="\n".join(lines).encode(),
        capture_output=True,
        timeout=_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"espeak-ng failed ({done.returncode}): {done.stderr.decode(errors='replace')[:300]}")
    return [line.strip() for line in done.stdout.decode(errors="replace").splitlines() if line.strip()]


def phonemize(found: Sequence[Clause], voice: str) -> list[str]:
    """IPA for each clause, from one espeak-ng run (one run per clause if it split one itself)."""
    if not found:
        return []
    lines = _espeak([c.words for c in found], voice)
    if len(lines) == len(found):
        return lines
    return [" ".join(_espeak([c.words], voice)) for c in found]


def sentences(found: Sequence[Clause], ipa: Sequence[str]) -> list[str]:
    """Phoneme strings, one per sentence, punctuation restored."""
    result: list[str] = []
    current = ""
    for clause, phonemes in zip(found, ipa, strict=True):
        current += phonemes + clause.punctuation
        if clause.punctuation and clause.punctuation in _SENTENCE_END:
            result.append(current)
            current = ""
        else:
            current += " "
    if current.strip():
        result.append(current.rstrip())
    return result


def phoneme_ids(phonemes: str, id_map: Mapping[str, Sequence[int]]) -> list[int]:
    """``^ _ p1 _ p2 _ ... $`` in the voice's ids (its ``phoneme_id_map``)."""
    pad = list(id_map["_"])
    ids = [*id_map["^"], *pad]
    for symbol in unicodedata.normalize("NFD", phonemes):
        known = id_map.get(symbol)
        if known is not None:
            ids.extend(known)
            ids.extend(pad)
    ids.extend(id_map["$"])
    return ids
