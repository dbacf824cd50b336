"""Per-client-IP limits on the account forms that send mail or create accounts.

A fixed one-minute window counted in Django's cache (Redis in production, so every process
shares it). The client address follows the same rule as gifts: the peer, or behind one of our
own proxies (AML_TRUSTED_PROXIES) the address that proxy saw.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from valuetok.client import client_ip

WINDOW_SECONDS = 60


def throttle_allows(request: HttpRequest, *, scope: str, limit: int | None = None, subject: str | None = None) -> bool:
    """Count one attempt for the subject (default: the client's address); False once over the limit this minute.

    ``limit`` defaults to ACCOUNTS_THROTTLE_PER_MINUTE; 0 or less means no limit.
    """
    limit = settings.ACCOUNTS_THROTTLE_PER_MINUTE if limit is None else limit
    if limit <= 0:
        return True
    window = int(time.time() // WINDOW_SECONDS)
    who = subject if subject is not None else (client_ip(request) or "unknown")
    key = f"accounts-throttle:{scope}:{hashlib.sha256(who.encode()).hexdigest()[:32]}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
        count = 1
    return count <= limit


THROTTLED_MESSAGE = "Too many attempts from your network. Wait a minute and try again."
