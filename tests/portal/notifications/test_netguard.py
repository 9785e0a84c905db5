"""The SSRF guard: every non-global address form is refused unless the host is allow-listed."""

from __future__ import annotations

import pytest

from portal.notifications.netguard import UnsafeURL, check_url


def resolver_to(*addresses):
    def resolve(host, port):
        return list(addresses)

    return resolve


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/hook", "loopback"),
        ("http://127.1/hook", "loopback"),
        ("http://2130706433/hook", "loopback"),
        ("http://10.0.0.5/hook", "private"),
        ("http://10.255.255.254:8080/hook", "private"),
        ("http://192.168.1.1/hook", "private"),
        ("http://172.16.0.1/hook", "private"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://169.254.10.10/", "link-local"),
        ("http://100.64.0.1/", "CGNAT"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://[::1]/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "127.0.0.1"),
        ("http://[::ffff:7f00:1]/hook", "127.0.0.1"),
        ("http://[::ffff:10.0.0.1]/hook", "10.0.0.1"),
        ("http://[::ffff:169.254.169.254]/", "metadata"),
        ("http://[fd00:ec2::254]/", "metadata"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[fc00::1]/", "private"),
        ("http://[64:ff9b::7f00:1]/", "127.0.0.1"),
        ("http://[2002:7f00:1::1]/", "127.0.0.1"),
    ],
)
def test_internal_addresses_are_refused(url, reason):
    with pytest.raises(UnsafeURL, match=reason):
        check_url(url)


@pytest.mark.parametrize(
    ("resolved", "reason"),
    [
        (["127.0.0.1"], "loopback"),
        (["10.1.2.3"], "private"),
        (["169.254.169.254"], "metadata"),
        (["::1"], "loopback"),
        (["::ffff:127.0.0.1"], "127.0.0.1"),
        (["93.184.216.34", "10.0.0.1"], "private"),  # one bad address is enough
    ],
)
def test_a_dns_name_resolving_to_internal_addresses_is_refused(resolved, reason):
    with pytest.raises(UnsafeURL, match=reason):
        check_url("https://hooks.example.com/x", resolver=resolver_to(*resolved))


def test_localhost_through_the_real_resolver_is_refused():
    with pytest.raises(UnsafeURL, match="loopback"):
        check_url("http://localhost:9/hook")


def test_a_global_address_is_accepted_and_pinned():
    target = check_url(
        "https://hooks.example.com/services/T1?x=1", resolver=resolver_to("93.184.216.34")
    )
    assert target.ip == "93.184.216.34" and target.port == 443
    assert target.pinned_url == "https://93.184.216.34:443/services/T1?x=1"
    assert target.host_header == "hooks.example.com"


def test_an_allow_listed_host_may_be_internal_but_never_metadata():
    target = check_url("http://127.0.0.1:8080/hook", allowed_hosts=["127.0.0.1"])
    assert target.allow_listed and target.host_header == "127.0.0.1:8080"
    internal = check_url(
        "http://hooks.corp./x", allowed_hosts=["HOOKS.corp"], resolver=resolver_to("10.0.0.9")
    )
    assert internal.ip == "10.0.0.9"
    with pytest.raises(UnsafeURL, match="metadata"):
        check_url(
            "http://meta.corp/",
            allowed_hosts=["meta.corp"],
            resolver=resolver_to("169.254.169.254"),
        )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/x", "Only http"),
        ("file:///etc/passwd", "Only http"),
        ("http://user:pw@93.184.216.34/", "Credentials"),
        ("http:///nohost", "no host"),
        ("http://93.184.216.34:99999/", "malformed"),
    ],
)
def test_malformed_or_unsupported_urls_are_refused(url, reason):
    with pytest.raises(UnsafeURL, match=reason):
        check_url(url)


def test_an_unresolvable_host_is_refused():
    def fail(host, port):
        raise OSError("no such host")

    with pytest.raises(UnsafeURL, match="could not be resolved"):
        check_url("https://nowhere.invalid/", resolver=fail)
