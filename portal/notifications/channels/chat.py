"""Chat webhooks: Slack-compatible JSON with a ``text`` fallback and Block Kit ``blocks``."""

from __future__ import annotations

import json

from portal.notifications.channels import Context, Item
from portal.notifications.channels.http import post

RELATION_LABEL = {
    "owner": "you own this",
    "direct": "you consume this directly",
    "transitive": "you depend on this transitively",
}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _line(item: Item) -> str:
    link = f"<{item.url}|{_escape(item.title)}>" if item.url else _escape(item.title)
    why = RELATION_LABEL.get(item.relation, item.relation)
    path = f" via {' → '.join(_escape(p) for p in item.path)}" if item.path else ""
    return f"{link} — {why}{path}"


def payload_for(items: list[Item]) -> dict:
    if len(items) == 1:
        item = items[0]
        text = f"{item.title} ({item.team})"
        blocks = [
            {"type": "header", "text": {"type": "plain_text", "text": item.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _line(item)}},
        ]
        if item.body:
            blocks.append(
                {"type": "section", "text": {"type": "mrkdwn", "text": _escape(item.body)[:2900]}}
            )
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": f"Platform Portal · {item.kind} · {item.team}"}
                ],
            }
        )
        return {"text": text, "blocks": blocks}
    text = f"Platform Portal digest for {items[0].team}: {len(items)} changes"
    lines = "\n".join(f"• {_line(i)}" for i in items[:40])
    more = f"\n…and {len(items) - 40} more in the portal inbox." if len(items) > 40 else ""
    return {
        "text": text,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": text[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": (lines + more)[:2990]}},
        ],
    }


def send(*, endpoint, items: list[Item], ctx: Context) -> None:
    body = json.dumps(payload_for(items), separators=(",", ":")).encode()
    post(url=endpoint.target, body=body, headers={}, ctx=ctx)
