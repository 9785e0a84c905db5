"""Standard Webhooks signatures: the published worked example, an independent computation, verify()."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from portal.notifications import signing

# The test vector published with the Standard Webhooks reference libraries.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TS = 1614265330
SPEC_BODY = '{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_published_standard_webhooks_vector_reproduces_exactly():
    assert (
        signing.sign(msg_id=SPEC_ID, timestamp=SPEC_TS, body=SPEC_BODY, secret=SPEC_SECRET)
        == SPEC_SIGNATURE
    )


def test_signature_matches_an_independent_hmac_computation():
    key = b"0123456789abcdef0123456789abcdef"
    secret = "whsec_" + base64.b64encode(key).decode()
    body = b'{"type":"deprecation_announced","data":{"x":1}}'
    expected = base64.b64encode(
        hmac.new(key, b"msg_42.1700000000." + body, hashlib.sha256).digest()
    ).decode()
    assert signing.sign(msg_id="msg_42", timestamp=1700000000, body=body, secret=secret) == (
        "v1," + expected
    )


def test_the_whsec_prefix_is_optional():
    bare = SPEC_SECRET.removeprefix("whsec_")
    assert signing.sign(msg_id=SPEC_ID, timestamp=SPEC_TS, body=SPEC_BODY, secret=bare) == (
        SPEC_SIGNATURE
    )


def test_generated_secrets_are_whsec_base64_of_32_random_bytes():
    a, b = signing.generate_secret(), signing.generate_secret()
    assert a.startswith("whsec_") and a != b
    assert len(signing.secret_key(a)) == 32


def _spec_headers(signature: str = SPEC_SIGNATURE) -> dict:
    return {
        "Webhook-Id": SPEC_ID,
        "Webhook-Timestamp": str(SPEC_TS),
        "Webhook-Signature": signature,
    }


def test_verify_accepts_the_spec_example_and_rotated_signature_lists():
    signing.verify(headers=_spec_headers(), body=SPEC_BODY, secret=SPEC_SECRET, now=SPEC_TS + 10)
    signing.verify(
        headers=_spec_headers(f"v1,bm9wZQ== {SPEC_SIGNATURE}"),
        body=SPEC_BODY,
        secret=SPEC_SECRET,
        now=SPEC_TS,
    )


@pytest.mark.parametrize(
    ("headers", "body", "secret", "now", "message"),
    [
        (_spec_headers(), '{"test": 2432232315}', SPEC_SECRET, SPEC_TS, "No matching"),
        (_spec_headers(), SPEC_BODY, signing.generate_secret(), SPEC_TS, "No matching"),
        (_spec_headers(), SPEC_BODY, SPEC_SECRET, SPEC_TS + 301, "tolerance"),
        (_spec_headers(), SPEC_BODY, SPEC_SECRET, SPEC_TS - 301, "tolerance"),
        ({"webhook-id": SPEC_ID}, SPEC_BODY, SPEC_SECRET, SPEC_TS, "Missing"),
        (_spec_headers("v2," + SPEC_SIGNATURE[3:]), SPEC_BODY, SPEC_SECRET, SPEC_TS, "No matching"),
        (
            {**_spec_headers(), "Webhook-Timestamp": "soon"},
            SPEC_BODY,
            SPEC_SECRET,
            SPEC_TS,
            "integer",
        ),
        (_spec_headers(), SPEC_BODY, "whsec_!!!not-base64", SPEC_TS, "base64"),
    ],
    ids=["tampered-body", "wrong-secret", "too-old", "too-new", "missing", "v2", "ts", "secret"],
)
def test_verify_refuses(headers, body, secret, now, message):
    with pytest.raises(signing.SignatureError, match=message):
        signing.verify(headers=headers, body=body, secret=secret, now=now)


def test_headers_carry_id_timestamp_and_a_verifiable_signature():
    secret = signing.generate_secret()
    h = signing.headers(msg_id="msg_7", body=b"{}", secret=secret, timestamp=1700000000)
    assert h["webhook-id"] == "msg_7" and h["webhook-timestamp"] == "1700000000"
    signing.verify(headers=h, body=b"{}", secret=secret, now=1700000000)
