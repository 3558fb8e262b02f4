"""Charts drawn on the server as inline SVG: no script, no library, the same in any admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from plugin_app.admin.formats import format_date, format_number, to_shop_time

WIDTH, HEIGHT = 640, 180
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28


@dataclass
class Chart:
    width: int
    height: int
    path: str
    area: str
    points: list[tuple[float, float, str]]
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    empty: bool


def size_chart(sizes: list[tuple[datetime, int]], zone: str, language: str) -> Chart:
    """A line of the segment's size after each evaluation, oldest first."""
    if not sizes:
        return Chart(WIDTH, HEIGHT, "", "", [], [], [], True)
    if len(sizes) == 1:
        sizes = [sizes[0], sizes[0]]
    times = [at.timestamp() for at, _ in sizes]
    values = [size for _, size in sizes]
    t0, t1 = min(times), max(times)
    top = max(values) or 1
    top = _nice_ceiling(top)
    span_x = (t1 - t0) or 1.0
    inner_w = WIDTH - LEFT - RIGHT
    inner_h = HEIGHT - TOP - BOTTOM

    def x(t: float) -> float:
        return round(LEFT + (t - t0) / span_x * inner_w, 1) if t1 > t0 else LEFT + inner_w / 2

    def y(v: float) -> float:
        return round(TOP + inner_h - v / top * inner_h, 1)

    coords = [(x(t), y(v)) for t, v in zip(times, values, strict=True)]
    if t1 == t0:
        coords = [(LEFT, coords[0][1]), (LEFT + inner_w, coords[0][1])]
    path = "M" + " L".join(f"{cx},{cy}" for cx, cy in coords)
    area = f"{path} L{coords[-1][0]},{TOP + inner_h} L{coords[0][0]},{TOP + inner_h} Z"
    labels = [
        f"{format_date(to_shop_time(at, zone).date(), language)}: {format_number(size, language)}"
        for at, size in sizes
    ]
    points = [(cx, cy, label) for (cx, cy), label in zip(coords, labels, strict=False)]
    y_ticks = [(y(top * share), format_number(top * share, language)) for share in (0, 0.5, 1)]
    x_ticks = []
    for t, at in ((t0, sizes[0][0]), (t1, sizes[-1][0])):
        x_ticks.append((x(t), format_date(to_shop_time(at, zone).date(), language)))
    if t1 == t0:
        x_ticks = x_ticks[:1]
    return Chart(WIDTH, HEIGHT, path, area, points, y_ticks, x_ticks, False)


def _nice_ceiling(value: float) -> float:
    """The next 'round' number at or above value (1, 2, 5 × a power of ten)."""
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude
