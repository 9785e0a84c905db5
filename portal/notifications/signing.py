"""Standard Webhooks signing (https://www.standardwebhooks.com/).

Headers: ``webhook-id`` (stable across retries), ``webhook-timestamp`` (unix seconds) and
``webhook-signature`` = ``v1,`` + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")), where the
key is the base64-decoded part of the endpoint's ``whsec_`` secret. Pure Python, no Django.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_SECONDS = 5 * 60


class SignatureError(ValueError):
    """The message could not be verified (bad secret, missing header, stale or forged)."""


def generate_secret(*, nbytes: int = 32) -> str:
    """A fresh endpoint secret: ``whsec_`` + base64 of ``nbytes`` random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(nbytes)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret (the prefix is optional, as in the reference libraries)."""
    raw = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    try:
        return base64.b64decode(raw, validate=True)
    except (ValueError, TypeError) as exc:
        raise SignatureError("The webhook secret is not valid base64 after 'whsec_'.") from exc


def _as_bytes(body: bytes | str) -> bytes:
    return body if isinstance(body, bytes) else body.encode("utf-8")


def sign(*, msg_id: str, timestamp: int, body: bytes | str, secret: str) -> str:
    """The ``webhook-signature`` value for one message: ``v1,<base64 signature>``."""
    to_sign = f"{msg_id}.{int(timestamp)}.".encode() + _as_bytes(body)
    digest = hmac.new(secret_key(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(*, msg_id: str, body: bytes | str, secret: str, timestamp: int | None = None) -> dict:
    """The three Standard Webhooks headers for a message (timestamp defaults to now)."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(msg_id=msg_id, timestamp=ts, body=body, secret=secret),
    }


def verify(
    *,
    headers: Mapping[str, str],
    body: bytes | str,
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: int | None = None,
) -> None:
    """Verify a received message; raise :class:`SignatureError` unless it is authentic and fresh.

    ``webhook-signature`` may carry several space-separated signatures (key rotation); one valid
    ``v1`` signature suffices. Header names are matched case-insensitively.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id")
    ts_raw = lowered.get("webhook-timestamp")
    sig_header = lowered.get("webhook-signature")
    if not (msg_id and ts_raw and sig_header):
        raise SignatureError("Missing webhook-id, webhook-timestamp or webhook-signature.")
    try:
        ts = int(ts_raw)
    except ValueError as exc:
        raise SignatureError("webhook-timestamp is not an integer.") from exc
    current = int(time.time()) if now is None else int(now)
    if abs(current - ts) > tolerance:
        raise SignatureError("webhook-timestamp is outside the tolerance window.")
    expected = sign(msg_id=msg_id, timestamp=ts, body=body, secret=secret).split(",", 1)[1]
    for candidate in sig_header.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected.encode()):
            return
    raise SignatureError("No matching v1 signature.")
