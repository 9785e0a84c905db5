"""Tier presets an admin starts an SLA from (plain data)."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

PRESETS: dict[str, dict] = {
    "critical": {
        "label": "Critical — 99.99 %",
        "availability_target": Decimal("99.990"),
        "latency_p95_ms": 200,
        "latency_p99_ms": 500,
        "support_hours": "24x7",
        "rto_minutes": 15,
        "rpo_minutes": 5,
        "severity_targets": {
            "P1": (15, 240),
            "P2": (30, 480),
            "P3": (240, 2880),
            "P4": (1440, 10080),
        },
    },
    "high": {
        "label": "High — 99.9 %",
        "availability_target": Decimal("99.900"),
        "latency_p95_ms": 300,
        "latency_p99_ms": 800,
        "support_hours": "24x7",
        "rto_minutes": 60,
        "rpo_minutes": 15,
        "severity_targets": {
            "P1": (30, 480),
            "P2": (60, 1440),
            "P3": (480, 4320),
            "P4": (2880, 14400),
        },
    },
    "standard": {
        "label": "Standard — 99.5 %",
        "availability_target": Decimal("99.500"),
        "latency_p95_ms": 500,
        "latency_p99_ms": 1500,
        "support_hours": "business",
        "rto_minutes": 240,
        "rpo_minutes": 60,
        "severity_targets": {
            "P1": (60, 1440),
            "P2": (240, 2880),
            "P3": (1440, 7200),
            "P4": (4320, 20160),
        },
    },
    "best_effort": {
        "label": "Best effort — 99.0 %",
        "availability_target": Decimal("99.000"),
        "latency_p95_ms": None,
        "latency_p99_ms": None,
        "support_hours": "business",
        "rto_minutes": None,
        "rpo_minutes": None,
        "severity_targets": {
            "P1": (240, 2880),
            "P2": (1440, 7200),
            "P3": (2880, 14400),
            "P4": (10080, None),
        },
    },
}


def preset_values(name: str) -> dict:
    """The field values and severity targets of preset ``name`` (KeyError when unknown)."""
    preset = PRESETS[name]
    values = {k: v for k, v in preset.items() if k not in {"label", "severity_targets"}}
    values["tier"] = name
    values["window_kind"] = "rolling"
    values["window_days"] = 28
    if values["support_hours"] == "business":
        values.update(
            {
                "business_days": [1, 2, 3, 4, 5],
                "business_start": time(9, 0),
                "business_end": time(17, 0),
            }
        )
    severities = [
        {"severity": sev, "response_minutes": resp, "resolution_minutes": res}
        for sev, (resp, res) in preset["severity_targets"].items()
    ]
    return {"fields": values, "severity_targets": severities}
