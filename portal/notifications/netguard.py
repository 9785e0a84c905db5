"""The SSRF guard for outbound webhooks (chat and signed webhooks).

Before every delivery the URL is checked: only http(s), no credentials in the URL, the host is
resolved ONCE and every address must be global — loopback, private, link-local, CGNAT, multicast,
reserved, unspecified, cloud metadata and IPv6 forms embedding such IPv4 addresses (mapped,
compatible, NAT64, 6to4, Teredo) are refused — unless an admin allow-listed the host name.
The caller connects to the returned, pinned IP so a DNS rebind between check and connect cannot
bypass the guard. Cloud metadata addresses are refused even for allow-listed hosts.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class UnsafeURL(ValueError):
    """The URL must not be fetched; the message says why (shown to owners and admins)."""


@dataclass(frozen=True)
class Target:
    """A checked URL with the one address the request must connect to."""

    url: str
    scheme: str
    host: str
    port: int
    ip: str
    allow_listed: bool

    @property
    def pinned_url(self) -> str:
        """The URL with the host replaced by the pinned IP (the Host header keeps the name)."""
        parts = urlsplit(self.url)
        ip = f"[{self.ip}]" if ":" in self.ip else self.ip
        path = parts.path or "/"
        query = f"?{parts.query}" if parts.query else ""
        return f"{parts.scheme}://{ip}:{self.port}{path}{query}"

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if int(ip) >> 32 == 0 and int(ip) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(ip: IPAddress) -> str | None:
    """Why ``ip`` may not be reached, or ``None`` when it is a global unicast address."""
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "a scoped IPv6 address"
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            inner = address_problem(embedded)
            return f"an IPv6 form of {embedded} ({inner})" if inner else None
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    )
    for attr, reason in checks:
        if getattr(ip, attr):
            return reason
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "a shared (CGNAT) address"
    if not ip.is_global:
        return "a non-global address"
    return None


Resolver = Callable[[str, int], Iterable[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """All addresses ``host`` resolves to (TCP), in resolver order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        addr = info[4][0]
        if addr not in seen:
            seen.append(addr)
    return seen


def normalise_host(host: str) -> str:
    return host.strip().lower().rstrip(".")


def check_url(
    url: str, *, allowed_hosts: Iterable[str] = (), resolver: Resolver | None = None
) -> Target:
    """Check ``url`` and return the pinned :class:`Target`; raise :class:`UnsafeURL` if refused."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"The URL is malformed: {exc}.") from exc
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise UnsafeURL("Only http:// and https:// webhook URLs are allowed.")
    if parts.username or parts.password:
        raise UnsafeURL("Credentials in the URL are not allowed.")
    host = normalise_host(parts.hostname or "")
    if not host:
        raise UnsafeURL("The URL has no host.")
    port = port or (443 if scheme == "https" else 80)
    allow_listed = host in {normalise_host(h) for h in allowed_hosts}
    resolver = resolver or system_resolver
    try:
        addresses = list(resolver(host, port))
    except (OSError, UnicodeError) as exc:
        raise UnsafeURL(f"The host '{host}' could not be resolved.") from exc
    if not addresses:
        raise UnsafeURL(f"The host '{host}' could not be resolved.")
    parsed: list[IPAddress] = []
    for raw in addresses:
        try:
            parsed.append(ipaddress.ip_address(raw.split("%", 1)[0]))
        except ValueError as exc:
            raise UnsafeURL(f"The host '{host}' resolved to an invalid address.") from exc
    for ip in parsed:
        if ip in METADATA_ADDRESSES or (
            isinstance(ip, ipaddress.IPv6Address)
            and ip.ipv4_mapped is not None
            and ip.ipv4_mapped in METADATA_ADDRESSES
        ):
            raise UnsafeURL(f"The host '{host}' resolves to a cloud metadata address ({ip}).")
        if not allow_listed:
            problem = address_problem(ip)
            if problem:
                raise UnsafeURL(
                    f"The host '{host}' resolves to {ip}, {problem}; an admin must allow-list "
                    "the host before webhooks may reach it."
                )
    return Target(
        url=url.strip(),
        scheme=scheme,
        host=host,
        port=port,
        ip=str(parsed[0]),
        allow_listed=allow_listed,
    )
