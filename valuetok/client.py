"""Who is calling, as far as the network can tell: the client's address and country.

Shared by the gift decisions (AML rules on addresses and countries) and the account throttles.
"""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The peer address; behind one of our own proxies (AML_TRUSTED_PROXIES), the address that proxy saw.

    X-Forwarded-For is written by whoever sends the request, so only its last entry, the one our
    proxy appended, is believed, and only when the request really came from that proxy.
    """
    peer = request.META.get("REMOTE_ADDR", "")
    if peer in getattr(settings, "AML_TRUSTED_PROXIES", ()):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return peer


def client_country(request: HttpRequest) -> str:
    """Country from a header the edge sets (e.g. CF-IPCountry), only where settings name one."""
    header = getattr(settings, "AML_COUNTRY_HEADER", "")
    value = request.META.get(header, "") if header else ""
    return value.upper() if len(value) == 2 and value.isalpha() else ""
