"""The dashboard's tables: one definition serves the HTML page and the CSV export.

A table turns a metric's result into rows of cells; each cell has the raw value (for CSV), the
text shown and, where there are rows behind it, a link to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from portal.health import selectors
from portal.health.selectors import HealthFilters

NO_DATA = "no data"


@dataclass(frozen=True)
class Cell:
    value: object
    text: str
    href: str = ""


def fmt_days(value: float | None) -> str:
    return NO_DATA if value is None else f"{value:.1f} d"


def fmt_share(value: float | None) -> str:
    return NO_DATA if value is None else f"{value * 100:.0f}%"


def fmt_num(value, digits: int = 0) -> str:
    if value is None:
        return NO_DATA
    return f"{value:.{digits}f}" if digits else f"{value}"


def rows_url(kind: str, filters: HealthFilters, **extra) -> str:
    query = {**filters.as_query(), **{k: v for k, v in extra.items() if v not in (None, "")}}
    return reverse("health:rows", args=[kind]) + ("?" + urlencode(query) if query else "")


def scoped(filters: HealthFilters, **changes) -> HealthFilters:
    values = {f: getattr(filters, f) for f in ("team", "api", "layer", "months", "today")}
    values.update(changes)
    return HealthFilters(**values)


def api_url(api) -> str:
    return reverse("health:api", args=[api.slug])


def team_url(team) -> str:
    return reverse("health:team", args=[team.slug])


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    metric: str
    headers: tuple[str, ...]
    build: Callable[[dict, HealthFilters], list[list[Cell]]]


def _velocity_by_month(r, f):
    return [
        [
            Cell(m["month"], m["month"]),
            Cell(m["count"], fmt_num(m["count"] or 0),
                 rows_url("integrations", f, state="live", month=m["month"])),
            Cell(m["median"], fmt_days(m["median"])),
            Cell(m["p75"], fmt_days(m["p75"])),
        ]
        for m in r["by_month"]
    ]  # fmt: skip


def _velocity_per_api(r, f):
    return [
        [
            Cell(x["api"].slug, x["api"].name, api_url(x["api"])),
            Cell(x["count"], str(x["count"]),
                 rows_url("integrations", scoped(f, api=x["api"]), state="live")),
            Cell(x["median"], fmt_days(x["median"])),
            Cell(x["p75"], fmt_days(x["p75"])),
        ]
        for x in r["per_api"]
    ]  # fmt: skip


def _velocity_per_team(r, f):
    return [
        [
            Cell(x["team"].slug, x["team"].name, team_url(x["team"])),
            Cell(x["count"], str(x["count"]),
                 rows_url("integrations", scoped(f, team=x["team"]), state="live")),
            Cell(x["median"], fmt_days(x["median"])),
            Cell(x["p75"], fmt_days(x["p75"])),
        ]
        for x in r["per_team"]
    ]  # fmt: skip


def _adoption_per_api(r, f):
    return [
        [
            Cell(x["api"].slug, x["api"].name, api_url(x["api"])),
            Cell(x["consumers"], str(x["consumers"]),
                 rows_url("consumers", scoped(f, api=x["api"]))),
            Cell(x["teams"], str(x["teams"])),
            Cell(x["on_newest"], str(x["on_newest"]),
                 rows_url("consumers", scoped(f, api=x["api"]), newest="yes")),
            Cell(x["newest_share"], fmt_share(x["newest_share"])),
        ]
        for x in r["per_api"]
    ]  # fmt: skip


def _adoption_per_team(r, f):
    return [
        [
            Cell(x["team"].slug, x["team"].name, team_url(x["team"])),
            Cell(x["consumers"], str(x["consumers"]),
                 rows_url("consumers", scoped(f, team=x["team"]))),
            Cell(x["consumer_teams"], str(x["consumer_teams"])),
            Cell(x["apis"], str(x["apis"])),
        ]
        for x in r["per_team"]
    ]  # fmt: skip


def _adoption_new(r, f):
    return [
        [
            Cell(m["month"], m["month"]),
            Cell(m["count"], str(m["count"]),
                 rows_url("integrations", f, state="new", month=m["month"])),
        ]
        for m in r["new_by_month"]
    ]  # fmt: skip


def _adoption_layers(r, f):
    return [
        [
            Cell(x["layer"], x["label"]),
            Cell(x["teams"], str(x["teams"]), rows_url("layer-teams", f, state=x["layer"])),
            Cell(x["consumers"], str(x["consumers"]),
                 rows_url("consumers", scoped(f, layer=x["layer"]))),
        ]
        for x in r["per_layer"]
    ]  # fmt: skip


def _satisfaction_per_api(r, f):
    return [
        [
            Cell(x["api"].slug, x["api"].name, api_url(x["api"])),
            Cell(x["average"], fmt_num(x["average"], 2)),
            Cell(x["count"], str(x["count"]), rows_url("feedback", scoped(f, api=x["api"]))),
        ]
        for x in r["per_api"]
    ]


def _satisfaction_by_month(r, f):
    return [
        [Cell(m["month"], m["month"]), Cell(m["average"], fmt_num(m["average"], 2)),
         Cell(m["count"], str(m["count"]))]
        for m in r["by_month"]
    ]  # fmt: skip


def _reliability_worst(r, f):
    rows = []
    for x in r["worst"]:
        subject = x["subject"]
        href = api_url(subject) if x["kind"] == "api" else ""
        rows.append(
            [
                Cell(f"{x['kind']}:{subject.slug}", f"{subject.name} ({x['kind']})", href),
                Cell(x["target"], f"{x['target']:.3f}%"),
                Cell(x["attained"], f"{x['attained']:.3f}%"),
                Cell(x["budget_remaining"], fmt_share(x["budget_remaining"])),
                Cell(x["breached"], "breaching" if x["breached"] else "ok"),
            ]
        )
    return rows


def _deprecations_open(r, f):
    rows = []
    for x in r["open_deprecations"]:
        d = x["deprecation"]
        api = d.api_version.api
        rows.append(
            [
                Cell(str(d.api_version), str(d.api_version), api_url(api)),
                Cell(d.sunset_date.isoformat(), d.sunset_date.isoformat()),
                Cell(x["done"], f"{x['done']} / {x['total']}",
                     rows_url("migrations", scoped(f, api=api), state="done")),
                Cell(x["done_share"], fmt_share(x["done_share"])),
                Cell(x["overdue"], "overdue" if x["overdue"] else ""),
            ]
        )  # fmt: skip
    return rows


TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table("velocity-by-month", "Integration velocity by month went live", "velocity",
              ("Month", "Went live", "Median", "p75"), _velocity_by_month),
        Table("velocity-per-api", "Slowest APIs to integrate with", "velocity",
              ("API", "Integrations", "Median", "p75"), _velocity_per_api),
        Table("velocity-per-team", "Integration velocity per provider team", "velocity",
              ("Team", "Integrations", "Median", "p75"), _velocity_per_team),
        Table("adoption-per-api", "Most adopted APIs", "adoption",
              ("API", "Consumers", "Consumer teams", "On newest major", "Share on newest"),
              _adoption_per_api),
        Table("adoption-per-team", "Adoption per provider team", "adoption",
              ("Team", "Consumers", "Consumer teams", "APIs consumed"), _adoption_per_team),
        Table("adoption-new-by-month", "New consumers per month", "adoption",
              ("Month", "New consumers"), _adoption_new),
        Table("adoption-per-layer", "Teams depending on each layer", "adoption",
              ("Layer", "Teams", "Consumer services"), _adoption_layers),
        Table("satisfaction-per-api", "Ratings per API (worst first)", "satisfaction",
              ("API", "Average", "Ratings"), _satisfaction_per_api),
        Table("satisfaction-by-month", "Ratings given per month", "satisfaction",
              ("Month", "Average", "Ratings"), _satisfaction_by_month),
        Table("reliability-worst", "Worst SLA offenders (least budget left)", "reliability",
              ("Subject", "Target", "Attained", "Budget left", "State"), _reliability_worst),
        Table("deprecations-open", "Open deprecations", "deprecations",
              ("Version", "Sunset", "Migrated", "Share done", "Overdue"), _deprecations_open),
    ]
}  # fmt: skip

METRICS: dict[str, Callable[..., dict]] = {
    "velocity": selectors.integration_velocity,
    "adoption": selectors.adoption,
    "satisfaction": selectors.satisfaction,
    "reliability": selectors.reliability,
    "deprecations": selectors.deprecation_health,
}


def build(name: str, result: dict, filters: HealthFilters) -> list[list[Cell]]:
    return TABLES[name].build(result, filters)
