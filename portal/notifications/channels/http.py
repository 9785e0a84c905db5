"""Outbound HTTP for chat and signed webhooks: guarded, pinned, no redirects, short timeouts."""

from __future__ import annotations

import logging

import httpx

from portal.notifications import conf, netguard
from portal.notifications.channels import Context, DeliveryError


def client() -> httpx.Client:
    timeout = conf.http_timeout_seconds()
    return httpx.Client(
        follow_redirects=False,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
        trust_env=False,
        headers={"user-agent": "PlatformPortal-Webhooks/1"},
    )


def post(*, url: str, body: bytes, headers: dict, ctx: Context) -> int:
    """POST ``body`` to ``url`` after the SSRF guard, connecting to the pinned address.

    Returns the status code of a 2xx answer; raises :class:`DeliveryError` otherwise (``gone`` on
    410, permanent when the guard refuses the URL).
    """
    try:
        target = netguard.check_url(url, allowed_hosts=ctx.allowed_hosts)
    except netguard.UnsafeURL as exc:
        raise DeliveryError(f"Refused by the URL guard: {exc}", permanent=True) from exc
    if ctx.http is None:
        ctx.http = client()
    http: httpx.Client = ctx.http  # type: ignore[assignment]
    request_headers = {"content-type": "application/json", "host": target.host_header, **headers}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    try:
        with http.stream(
            "POST",
            target.pinned_url,
            content=body,
            headers=request_headers,
            extensions=extensions,
        ) as response:
            status = response.status_code
    except httpx.TimeoutException as exc:
        raise DeliveryError(f"Timed out after {conf.http_timeout_seconds():g}s.") from exc
    except httpx.HTTPError as exc:
        raise DeliveryError(f"Connection failed: {exc.__class__.__name__}: {exc}") from exc
    if 200 <= status < 300:
        return status
    if status == 410:
        raise DeliveryError("The endpoint answered 410 Gone; it has been disabled.", gone=True)
    if 300 <= status < 400:
        raise DeliveryError(f"The endpoint answered {status}; redirects are not followed.")
    raise DeliveryError(f"The endpoint answered HTTP {status}.")


# httpx logs every request at INFO; a delivery batch would flood the worker log.
logging.getLogger("httpx").setLevel(logging.WARNING)
