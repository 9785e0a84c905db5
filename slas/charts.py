"""Geometry of the SLA compliance chart (pure Python; the template draws the SVG)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from slas.budget import Compliance


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    met: bool | None


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    burn_points: str
    target_y: float
    floor: Decimal
    target: Decimal
    empty: bool


def compliance_chart(result: Compliance, *, width: int = 640, height: int = 180) -> Chart:
    """Daily attainment as bars (scaled between a floor below the target and 100 %) and the
    cumulative budget consumed as a line (0 % at the bottom, 100 % at the top, clipped)."""
    target = result.target
    floor = max(Decimal(0), target - (Decimal(100) - target) * 4)
    values = [p.attained for p in result.daily if p.attained is not None]
    if values:
        floor = min(floor, max(Decimal(0), min(values) - Decimal("0.01")))
    span = Decimal(100) - floor or Decimal(1)
    pad = 4
    inner_h = height - 2 * pad
    n = max(len(result.daily), 1)
    slot = (width - 2 * pad) / n
    bars: list[Bar] = []
    points: list[str] = []

    def y_of(value: Decimal) -> float:
        frac = (value - floor) / span
        frac = min(max(frac, Decimal(0)), Decimal(1))
        return round(pad + inner_h * (1 - float(frac)), 2)

    for index, point in enumerate(result.daily):
        x = pad + index * slot
        if point.attained is not None:
            top = y_of(point.attained)
            bars.append(
                Bar(
                    x=round(x + slot * 0.1, 2),
                    y=top,
                    width=round(slot * 0.8, 2),
                    height=round(height - pad - top, 2),
                    label=f"{point.day}: {point.attained.quantize(Decimal('0.001'))} %",
                    met=point.attained >= target,
                )
            )
        if point.consumed is not None:
            consumed = min(max(point.consumed, Decimal(0)), Decimal(1))
            cy = round(pad + inner_h * (1 - float(consumed)), 2)
            points.append(f"{round(x + slot / 2, 2)},{cy}")
    return Chart(
        width=width,
        height=height,
        bars=bars,
        burn_points=" ".join(points),
        target_y=y_of(target),
        floor=floor,
        target=target,
        empty=not result.daily,
    )
