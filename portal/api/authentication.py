"""How API callers prove who they are: a token (``Token`` or ``Bearer`` scheme), or a session.

``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`` lists :class:`TokenAuthentication` first and
DRF's ``SessionAuthentication`` second. DRF takes the ``WWW-Authenticate`` challenge of a 401
from the first class, so with the token class first:

- no credentials, an unknown scheme, a malformed header, an unknown key, or the key of an
  inactive user → **401** with ``WWW-Authenticate: Token realm="api", Bearer realm="api"``
  and the problem body (``portal.api.exceptions``);
- a known caller who may not do something → **403**;
- a browser session still works, and still needs the CSRF token on unsafe methods (a missing
  CSRF token is a 403: the caller is known, the request is refused).

The same key works with either scheme (``Authorization: Token <key>`` or
``Authorization: Bearer <key>``); the scheme name is case-insensitive (RFC 9110 §11.1).
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

# RFC 9110 §11.2 token68, bounded by the length of ``authtoken.Token.key``: anything else is
# refused before the database sees it (a NUL byte or a megabyte of header never reaches a query).
KEY_MAX_LENGTH = 40
KEY_PATTERN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")

SCHEMES = ("Token", "Bearer")
REALM = "api"


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>`` or ``Authorization: Bearer <key>``.

    Returns ``None`` (not ours: the next class is tried) when there is no ``Authorization``
    header or its scheme is neither ``Token`` nor ``Bearer``. Raises ``AuthenticationFailed``
    (401) when the scheme is ours but the credentials are missing, malformed, unknown, or belong
    to an inactive user. Never writes anything.
    """

    keyword = "Token"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in {s.lower().encode() for s in SCHEMES}:
            return None
        if len(parts) == 1:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header. No credentials provided.")
            )
        if len(parts) > 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header. Token string should not contain spaces.")
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header. Token string should not contain invalid characters.")
            ) from None
        if len(key) > KEY_MAX_LENGTH or not KEY_PATTERN.fullmatch(key):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return self.authenticate_credentials(key)

    def authenticate_header(self, request) -> str:
        return ", ".join(f'{scheme} realm="{REALM}"' for scheme in SCHEMES)


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """The OpenAPI security schemes of :class:`TokenAuthentication`: either prefix works."""

    target_class = "portal.api.authentication.TokenAuthentication"
    name = ["tokenAuth", "bearerAuth"]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": 'Token-based authentication with required prefix "Token"',
            },
            {
                "type": "http",
                "scheme": "bearer",
                "description": "The same API token, sent as `Authorization: Bearer <key>`.",
            },
        ]

    def get_security_requirement(self, auto_schema):
        return [{"tokenAuth": []}, {"bearerAuth": []}]
