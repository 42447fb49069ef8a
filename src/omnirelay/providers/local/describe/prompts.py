"""Four Midjourney-style prompts from what was actually found: classifier labels and measured properties.

Nothing is invented: the subject is only ever an ImageNet label the classifier gave (the best one, plus
runners-up holding at least 10 %). One prompt always hedges it ("what looks like"), and all do when the best
label has under 30 %. Everything else (colours, lighting, contrast, focus, balance, format) was measured.
Each prompt ends with ``--ar W:H``, the input's aspect ratio.
"""

from __future__ import annotations

import math
from fractions import Fraction

from omnirelay.providers.local.describe.appearance import Appearance

__all__ = ["aspect_ratio", "compose", "numbered"]

_RUNNER_UP = 0.1
_LOW_CONTRAST, _HIGH_CONTRAST = 0.12, 0.25
_MAX_TERM = 32
_SNAP = 0.03
_FALLBACK_TERM = 16
_COMMON_RATIOS = tuple(
    Fraction(*pair)
    for w, h in ((1, 1), (5, 4), (4, 3), (3, 2), (8, 5), (16, 9), (2, 1), (7, 3))
    for pair in ((w, h), (h, w))
)
_CONFIDENT = 0.3
_KEYCAPS = tuple(f"{digit}\ufe0f\u20e3" for digit in "123456789")
_LIGHTING = {"dark": "dark, low-key lighting", "bright": "bright, high-key lighting", "balanced": "balanced lighting"}


def aspect_ratio(width: int, height: int) -> str:
    """``W:H`` in lowest terms when both are at most 32 (4:3, 16:9, 1:1); otherwise the nearest common ratio
    within 3 % (a 451×300 photo is 3:2), else the nearest ratio with small terms."""
    exact = Fraction(width, height)
    if max(exact.numerator, exact.denominator) <= _MAX_TERM:
        return f"{exact.numerator}:{exact.denominator}"
    nearest = min(_COMMON_RATIOS, key=lambda common: abs(math.log(common / exact)))
    if abs(math.log(nearest / exact)) <= _SNAP:
        ratio = nearest
    elif exact >= 1:
        ratio = exact.limit_denominator(_FALLBACK_TERM)
    else:
        ratio = 1 / (1 / exact).limit_denominator(_FALLBACK_TERM)
    return f"{ratio.numerator}:{ratio.denominator}"


def numbered(prompts: list[str]) -> str:
    """The prompts as Midjourney lists them: keycap digits, one blank line between."""
    return "\n\n".join(f"{_KEYCAPS[i]} {prompt}" for i, prompt in enumerate(prompts))


def _with_article(label: str) -> str:
    lowered = label.lower()
    if lowered.startswith(("a ", "an ", "the ")) or (lowered.endswith("s") and not lowered.endswith(("ss", "us"))):
        return label
    vowel = lowered[0] in "aeiou" and not lowered.startswith(("uni", "use", "eu", "one"))
    return f"{'an' if vowel else 'a'} {label}"


def _join(words: list[str], last: str = "and") -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def _subjects(labels: list[tuple[str, float]]) -> list[str]:
    return [labels[0][0]] + [name for name, p in labels[1:] if p >= _RUNNER_UP]


def _contrast(look: Appearance) -> str:
    if look.contrast < _LOW_CONTRAST:
        return "low contrast"
    return "high contrast" if look.contrast > _HIGH_CONTRAST else "moderate contrast"


def _layout(look: Appearance, width: int, height: int) -> str:
    shape = "horizontal" if width > 1.1 * height else "vertical" if height > 1.1 * width else "square"
    balance = "centered" if look.centred else "off-center"
    return f"{balance} composition, {shape} format"


def compose(labels: list[tuple[str, float]], look: Appearance, width: int, height: int) -> list[str]:
    """Exactly four prompts, each ending with `` --ar W:H``. An unsure best label is hedged everywhere."""
    subjects = _subjects(labels)
    main = _with_article(subjects[0])
    sure = labels[0][1] >= _CONFIDENT
    medium = "black and white photograph" if look.monochrome else "photograph"
    colours = "black and white" if look.monochrome else f"{look.colourfulness} colors"
    focus = "sharp focus" if look.sharp else "soft focus"
    lighting, layout, contrast = _LIGHTING[look.lighting], _layout(look, width, height), _contrast(look)
    alternatives = f" or {_join([_with_article(s) for s in subjects[1:]], 'or')}" if len(subjects) > 1 else ""
    prompts = [
        f"a {medium} {'of' if sure else 'possibly of'} {main}, {_join(look.palette)} tones, {lighting}, {focus}",
        f"{'' if sure else 'possibly '}{_join(subjects, 'or')}, {colours}, {contrast}, {layout}",
        f"{main if sure else 'perhaps ' + main} in shades of {_join(look.palette)}, {medium}, {contrast}, {focus}",
        f"what looks like {main}{alternatives}, {colours}, {lighting}, {layout}",
    ]
    suffix = f" --ar {aspect_ratio(width, height)}"
    return [prompt + suffix for prompt in prompts]
