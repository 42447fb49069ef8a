"""A bar chart drawn on the server as SVG geometry (no chart script): requests per step, errors on top."""

from __future__ import annotations

from dataclasses import dataclass

from omnirelay.console.admin.stats import Point

__all__ = ["HEIGHT", "WIDTH", "Bar", "bars"]

WIDTH = 720
HEIGHT = 160


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    width: float
    y: float
    height: float
    error_y: float
    error_height: float
    point: Point


def bars(points: list[Point]) -> list[Bar]:
    """One bar per point, scaled to the busiest; the errors part drawn over the bottom of the bar."""
    if not points:
        return []
    top = max(max(p.requests for p in points), 1)
    slot = WIDTH / len(points)
    drawn = []
    for index, point in enumerate(points):
        height = HEIGHT * point.requests / top
        error_height = HEIGHT * point.errors / top
        drawn.append(
            Bar(
                x=round(index * slot + 1, 2),
                width=round(max(slot - 2, 1), 2),
                y=round(HEIGHT - height, 2),
                height=round(height, 2),
                error_y=round(HEIGHT - error_height, 2),
                error_height=round(error_height, 2),
                point=point,
            )
        )
    return drawn
