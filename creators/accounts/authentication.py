"""Token authentication for external API clients (``Authorization: Bearer <key>``).

Listed first in REST_FRAMEWORK's DEFAULT_AUTHENTICATION_CLASSES, so an anonymous API call gets
401 with ``WWW-Authenticate: Bearer`` rather than a bare 403. The older ``Token <key>`` keyword
of DRF's authtoken is accepted too, for clients written against it.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from creators.accounts.tokens import api_token_for_key, api_token_mark_used

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None  # another scheme, or none: let the next class try
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Malformed Authorization header: send 'Bearer <key>' with the key and nothing else.")
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The API token contains characters a key never has.")) from None
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key: str):
        token = api_token_for_key(key)
        if token is None or token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("The API token is unknown or has been revoked."))
        if token.is_expired():
            raise exceptions.AuthenticationFailed(_("The API token has expired; create a new one."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The API token's account is disabled."))
        api_token_mark_used(token=token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Shows the token as an HTTP bearer scheme in the OpenAPI schema (registered on import)."""

    target_class = "creators.accounts.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "vt_<key>",
            "description": "An API token from /accounts/tokens/ (or issued by staff), sent as "
            "`Authorization: Bearer <key>`. The keyword `Token` is accepted too.",
        }
