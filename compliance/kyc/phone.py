"""Phone trust: how far a phone number can be trusted as its account holder's own, 0 to 100.

Local signals (always), each a line in ``reasons`` with the points it gave:

* validity (``phonenumbers``): a valid number +30; an invalid one scores 0 and nothing else counts.
* line type: mobile +30, fixed line or mobile +25, fixed line +15, VoIP and unknown 0, pager and
  the like -10, premium rate and toll free -20 (numbers rented by the thousand for sign-up farms).
* country against nationality (latest KYC submission, else the account's country): same +15.
* country against where the account is seen from (its viewer events of the last 90 days): among
  them +15; events exist but none from there -10; no events 0.
* reuse: no other account has the number +10; one other -15; two or more -30.

Optional provider: with ``ABSTRACTAPI_PHONE_KEY`` set, AbstractAPI's phone validation is asked too
(``phone_provider_lookup``): a timeout per request, retries with exponential backoff on 5xx,
timeouts and network errors, a token-bucket rate limit shared through the cache, a cache of answers,
and one PhoneLookupAudit row per call (never the key). When it answers, its line type replaces the
local one (carriers' data follow ported numbers; ``phonenumbers`` knows only number ranges) and a
number it calls invalid is capped at 10. Without a key, or when it fails, the local score stands.
"""

import hashlib
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from compliance.models import KycSubmission, PhoneLookupAudit, PhoneTrustAssessment

from .checks import phone_line_type

logger = logging.getLogger(__name__)

PROVIDER = "abstractapi"
LINE_POINTS = {
    "mobile": 30,
    "fixed_or_mobile": 25,
    "fixed_line": 15,
    "voip": 0,
    "unknown": 0,
    "other": -10,
    "premium": -20,
    "toll_free": -20,
}
SEEN_FROM_DAYS = 90
INVALID_BY_PROVIDER_CAP = 10
MAX_RESPONSE_BYTES = 64 * 1024
# AbstractAPI's "type" values -> our line types.
PROVIDER_LINE_TYPES = {
    "mobile": "mobile",
    "landline": "fixed_line",
    "voip": "voip",
    "premium": "premium",
    "toll_free": "toll_free",
    "satellite": "other",
    "paging": "other",
    "special": "other",
}


@dataclass(frozen=True)
class ProviderResult:
    valid: bool
    line_type: str
    country: str
    carrier: str


# --- Provider ----------------------------------------------------------------------------------------

_BUCKET_KEY = "compliance:phone:abstractapi:bucket"
_CACHE_PREFIX = "compliance:phone:abstractapi:answer:"


def _bucket_take(*, max_wait: float) -> bool:
    """Take one token from the shared bucket, waiting up to ``max_wait`` seconds for it."""
    rate = max(settings.ABSTRACTAPI_PHONE_RATE_PER_SECOND, 1e-9)
    burst = max(settings.ABSTRACTAPI_PHONE_BURST, 1)
    deadline = time.monotonic() + max_wait
    while True:
        lock = _BUCKET_KEY + ":lock"
        if cache.add(lock, 1, timeout=5):
            try:
                now = time.time()
                state = cache.get(_BUCKET_KEY) or {"tokens": float(burst), "at": now}
                tokens = min(float(burst), state["tokens"] + (now - state["at"]) * rate)
                if tokens >= 1:
                    cache.set(_BUCKET_KEY, {"tokens": tokens - 1, "at": now}, timeout=24 * 3600)
                    return True
                cache.set(_BUCKET_KEY, {"tokens": tokens, "at": now}, timeout=24 * 3600)
                wait = (1 - tokens) / rate
            finally:
                cache.delete(lock)
        else:
            wait = 0.01
        if time.monotonic() + wait > deadline:
            return False
        time.sleep(wait)


def _bucket_cool_down(seconds: float) -> None:
    """The provider said 429: empty the bucket so that nobody asks again for ``seconds``."""
    rate = max(settings.ABSTRACTAPI_PHONE_RATE_PER_SECOND, 1e-9)
    cache.set(_BUCKET_KEY, {"tokens": -seconds * rate, "at": time.time()}, timeout=24 * 3600)


def _audit(*, phone: str, attempt: int, started: float, outcome: str, status: int | None = None, error: str = ""):
    key = settings.ABSTRACTAPI_PHONE_KEY
    PhoneLookupAudit.objects.create(
        provider=PROVIDER,
        url=settings.ABSTRACTAPI_PHONE_URL,
        phone=phone,
        attempt=attempt,
        status_code=status,
        latency_ms=max(0, int((time.monotonic() - started) * 1000)),
        outcome=outcome,
        error=error.replace(key, "***")[:2000] if key else error[:2000],
    )


def _parse(body: bytes) -> ProviderResult:
    data = json.loads(body)
    if not isinstance(data, dict) or "valid" not in data:
        raise ValueError("no 'valid' field in the answer")
    country = data.get("country") or {}
    return ProviderResult(
        valid=bool(data["valid"]),
        line_type=PROVIDER_LINE_TYPES.get(str(data.get("type") or "").lower(), "unknown"),
        country=str(country.get("code") or "").upper()[:2] if isinstance(country, dict) else "",
        carrier=str(data.get("carrier") or "")[:100],
    )


def phone_provider_lookup(*, phone: str) -> ProviderResult | None:
    """Ask AbstractAPI about an E.164 number; None when no key is set or no usable answer came."""
    key = settings.ABSTRACTAPI_PHONE_KEY
    if not key or not phone:
        return None
    cache_key = _CACHE_PREFIX + hashlib.sha256(phone.encode()).hexdigest()
    cached = cache.get(cache_key)
    if cached is not None:
        return ProviderResult(**cached)

    attempts = max(settings.ABSTRACTAPI_PHONE_ATTEMPTS, 1)
    timeout = settings.ABSTRACTAPI_PHONE_TIMEOUT_SECONDS
    url = settings.ABSTRACTAPI_PHONE_URL + "?" + urlencode({"api_key": key, "phone": phone.lstrip("+")})
    for attempt in range(1, attempts + 1):
        started = time.monotonic()
        if not _bucket_take(max_wait=timeout):
            _audit(phone=phone, attempt=attempt, started=started, outcome=PhoneLookupAudit.Outcome.THROTTLED)
            return None
        retry = False
        try:
            request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - https URL from settings
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                body = response.read(MAX_RESPONSE_BYTES)
                status = response.status
        except urllib.error.HTTPError as exc:
            if exc.code == 429:
                retry_after = exc.headers.get("Retry-After", "")
                _bucket_cool_down(float(retry_after) if retry_after.isdigit() else 1.0)
                _audit(phone=phone, attempt=attempt, started=started, status=429,
                       outcome=PhoneLookupAudit.Outcome.RATE_LIMITED, error=str(exc))  # fmt: skip
                return None
            retry = exc.code >= 500
            _audit(phone=phone, attempt=attempt, started=started, status=exc.code,
                   outcome=PhoneLookupAudit.Outcome.HTTP_ERROR, error=str(exc))  # fmt: skip
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            timed_out = isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError)
            outcome = PhoneLookupAudit.Outcome.TIMEOUT if timed_out else PhoneLookupAudit.Outcome.NETWORK_ERROR
            error = f"{type(exc).__name__}: {reason}"
            _audit(phone=phone, attempt=attempt, started=started, outcome=outcome, error=error)
            retry = True
        else:
            try:
                result = _parse(body)
            except ValueError as exc:
                _audit(phone=phone, attempt=attempt, started=started, status=status,
                       outcome=PhoneLookupAudit.Outcome.BAD_RESPONSE, error=str(exc))  # fmt: skip
                return None
            _audit(phone=phone, attempt=attempt, started=started, status=status, outcome=PhoneLookupAudit.Outcome.OK)
            cache.set(cache_key, asdict(result), timeout=settings.ABSTRACTAPI_PHONE_CACHE_SECONDS)
            return result
        if not retry or attempt == attempts:
            return None
        time.sleep(settings.ABSTRACTAPI_PHONE_BACKOFF_SECONDS * 2 ** (attempt - 1))
    return None


# --- Assessment ------------------------------------------------------------------------------------------


def _reason(signal: str, points: int, reason: str) -> dict:
    return {"signal": signal, "points": points, "reason": reason}


def _latest_kyc(user) -> KycSubmission | None:
    return KycSubmission.objects.filter(user=user).order_by("-submitted_at", "-id").first()


def _seen_from_countries(user) -> set[str]:
    from integrity.models import ViewerEvent  # a read of another app's events, bounded by the (user, time) index

    since = timezone.now() - timedelta(days=SEEN_FROM_DAYS)
    rows = ViewerEvent.objects.filter(user=user, occurred_at__gte=since).exclude(country="")
    return set(rows.values_list("country", flat=True).distinct())


def _other_accounts_with(user, phone: str) -> int:
    from creators.models import User

    holders = set(User.objects.filter(phone_number=phone).exclude(pk=user.pk).values_list("pk", flat=True)[:100])
    holders |= set(
        KycSubmission.objects.filter(phone_number=phone).exclude(user=user).values_list("user_id", flat=True)[:100]
    )
    return len(holders)


def phone_trust_assess(*, user, phone: str | None = None) -> PhoneTrustAssessment:
    """Score a phone number for an account (by default its latest KYC phone, else its profile phone)."""
    kyc = _latest_kyc(user)
    if not phone:
        phone = str(kyc.phone_number) if kyc else str(user.phone_number or "")
    reasons: list[dict] = []
    line_type, region = phone_line_type(phone) if phone else ("invalid", "")
    if line_type == "invalid":
        reasons.append(_reason("validity", 0, "No phone number." if not phone else f"{phone} is not a valid number."))
        return PhoneTrustAssessment.objects.create(
            user=user, phone=phone or "", score=0, line_type=PhoneTrustAssessment.LineType.INVALID, reasons=reasons
        )
    reasons.append(_reason("validity", 30, f"A valid number from {region}."))

    provider = phone_provider_lookup(phone=phone)
    provider_result: dict = {}
    cap = 100
    if provider is not None:
        provider_result = asdict(provider)
        if provider.line_type != "unknown" and provider.line_type != line_type:
            said, ranged = provider.line_type.replace("_", " "), line_type.replace("_", " ")
            reasons.append(_reason("provider", 0, f"The provider reports a {said} line; the range says {ranged}."))
            line_type = provider.line_type
        if not provider.valid:
            cap = INVALID_BY_PROVIDER_CAP
            reasons.append(_reason("provider", 0, f"The provider reports the number as not in service (score capped "
                                                  f"at {INVALID_BY_PROVIDER_CAP})."))  # fmt: skip
    points = LINE_POINTS.get(line_type, 0)
    reasons.append(_reason("line_type", points, f"Line type: {line_type.replace('_', ' ')}."))

    nationality = kyc.nationality if kyc else (user.country or "")
    if not nationality:
        reasons.append(_reason("nationality", 0, "No nationality or account country to compare."))
    elif nationality == region:
        reasons.append(_reason("nationality", 15, f"The number's country matches the nationality ({nationality})."))
    else:
        reasons.append(_reason("nationality", 0, f"The number is from {region}, the nationality is {nationality}."))

    seen = _seen_from_countries(user)
    if not seen:
        reasons.append(_reason("seen_from", 0, "The account has no recent activity with a known country."))
    elif region in seen:
        reasons.append(_reason("seen_from", 15, f"The account is seen from {region}, the number's country."))
    else:
        where = ", ".join(sorted(seen)[:5])
        reasons.append(_reason("seen_from", -10, f"The account is seen from {where}, never from {region}."))

    others = _other_accounts_with(user, phone)
    if others == 0:
        reasons.append(_reason("reuse", 10, "No other account uses this number."))
    elif others == 1:
        reasons.append(_reason("reuse", -15, "One other account uses this number."))
    else:
        reasons.append(_reason("reuse", -30, f"{others} other accounts use this number."))

    score = max(0, min(cap, sum(r["points"] for r in reasons)))
    assessment = PhoneTrustAssessment.objects.create(
        user=user,
        phone=phone,
        score=score,
        line_type=line_type,
        country=region,
        reasons=reasons,
        provider=PROVIDER if provider is not None else "",
        provider_result=provider_result,
    )
    logger.info("phone_trust_assessed user=%s score=%s line_type=%s provider=%s", user.pk, score, line_type,
                bool(provider))  # fmt: skip
    return assessment
