"""Entity references in every form Backstage accepts."""

import pytest

from catalog.descriptors import EntityRef, RefError, parse_ref


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        ("group:default/payments", {}, EntityRef("group", "default", "payments")),
        ("payments", {"default_kind": "group"}, EntityRef("group", "default", "payments")),
        ("api:payments-api", {}, EntityRef("api", "default", "payments-api")),
        ("ops/payments", {"default_kind": "group"}, EntityRef("group", "ops", "payments")),
        ("Group:Default/Payments", {}, EntityRef("group", "default", "payments")),
        ("API:v2.orders_api", {}, EntityRef("api", "default", "v2.orders_api")),
        (
            "payments",
            {"default_kind": "group", "default_namespace": "ops"},
            EntityRef("group", "ops", "payments"),
        ),
        ("user:jdoe", {"default_kind": "group"}, EntityRef("user", "default", "jdoe")),
        ({"kind": "Component", "name": "web"}, {}, EntityRef("component", "default", "web")),
        (
            {"name": "web", "namespace": "ops"},
            {"default_kind": "component"},
            EntityRef("component", "ops", "web"),
        ),
        ("  payments  ", {"default_kind": "group"}, EntityRef("group", "default", "payments")),
    ],
)
def test_accepted_forms(value, kwargs, expected):
    assert parse_ref(value, **kwargs) == expected


@pytest.mark.parametrize(
    ("value", "kwargs", "fragment"),
    [
        ("payments", {}, "needs a kind"),
        ("", {"default_kind": "group"}, "empty entity reference"),
        (":payments", {}, "empty kind"),
        ("group:/payments", {}, "empty namespace"),
        ("group:default/", {}, "empty name"),
        ("group:a/b/c", {}, "malformed"),
        ("widget:payments", {}, "unknown kind 'widget'"),
        ("component:web", {"allowed_kinds": {"group", "user"}}, "must point to Group, User"),
        ("group:-bad-", {}, "not valid"),
        ("group:" + "x" * 64, {}, "longer than 63"),
        ("group:Bad_NS/payments", {}, "namespace"),
        (42, {"default_kind": "group"}, "must be a string"),
        ({"kind": "group"}, {}, "has no name"),
    ],
)
def test_refused_forms(value, kwargs, fragment):
    with pytest.raises(RefError, match=None) as info:
        parse_ref(value, **kwargs)
    assert fragment in str(info.value)


def test_canonical_and_short_forms():
    ref = parse_ref("API:Ops/Orders-Api")
    assert str(ref) == "api:ops/orders-api"
    assert ref.key == "api:ops/orders-api"
    assert ref.short(default_kind="api") == "ops/orders-api"
    assert parse_ref("api:orders").short(default_kind="api") == "orders"
    assert parse_ref("api:orders").short(default_kind="group") == "api:orders"
    assert ref.kind_label == "API"
