"""Signed webhooks following the Standard Webhooks scheme."""

from __future__ import annotations

import json

from portal.notifications import signing
from portal.notifications.channels import Context, DeliveryError, Item, message_id
from portal.notifications.channels.http import post


def item_json(item: Item) -> dict:
    return {
        "notification_id": item.notification_id,
        "event_id": item.event_id,
        "kind": item.kind,
        "title": item.title,
        "body": item.body,
        "url": item.url,
        "payload": item.payload,
        "recipient": {
            "team": item.team,
            "relation": item.relation,
            "path": item.path,
            "detail": item.detail,
        },
        "created_at": item.created_at,
    }


def body_for(items: list[Item]) -> bytes:
    if len(items) == 1:
        doc = {"type": items[0].kind, "timestamp": items[0].created_at, "data": item_json(items[0])}
    else:
        doc = {
            "type": "digest",
            "timestamp": items[-1].created_at,
            "data": {"items": [item_json(i) for i in items]},
        }
    return json.dumps(doc, separators=(",", ":"), sort_keys=True, default=str).encode()


def send(*, endpoint, items: list[Item], ctx: Context) -> None:
    if not endpoint.secret:
        raise DeliveryError("The webhook endpoint has no signing secret.", permanent=True)
    body = body_for(items)
    try:
        headers = signing.headers(msg_id=message_id(items), body=body, secret=endpoint.secret)
    except signing.SignatureError as exc:
        raise DeliveryError(str(exc), permanent=True) from exc
    post(url=endpoint.target, body=body, headers=headers, ctx=ctx)
