"""Demo data for the creator portal: the demo creator's money, identity, moderation and trends.

After ``seed_demo`` (the world) and ``integrity_backfill`` (its EIS windows), ``seed_portal_demo``
gives the demo creator (``demo.creator@example.com``) what each portal page shows, written only
through the product's own services, so every row is one the product could have written itself:

- **KYC** level 2: a submission with a passport whose machine-readable zone verifies
  (``kyc_submission_create``); without a sanctions list loaded the screening check warns and the
  submission waits for review, so the demo staff user approves it (``kyc_review_decide``).
- **Payouts**: net revenue booked for each day of the world (``revenue_record``) and a daily
  payout run per day, computed and committed (``payout_period_run``), so balances, statements
  and the allocation breakdown are real; viewer wallets topped up and gifts sent to the demo
  creator through AML (``gift_send``), the older ones released from held (``held_gifts_release``);
  a pending withdrawal (``withdrawal_request``).
- **Moderation**: the real pipeline (Whisper, the classifiers) run on two bundled speech clips
  (``simulation/data/``) for two of the demo creator's videos; the hateful one is flagged and the
  creator's appeal waits for Trust & Safety.
- **Trends**: one trend idea submitted for review.

Deterministic for a seed (amounts, viewers, dates come from a PRNG seeded with it and from the
world's own dates), and idempotent: every step looks for what it made before or reuses the
services' idempotency keys, so a second run adds nothing.
"""

import hashlib
import logging
import random
import struct
import time
import unicodedata
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from compliance.kyc.countries import ALPHA2_TO_ALPHA3
from compliance.kyc.mrz import check_digit
from compliance.kyc.services import kyc_review_decide, kyc_submission_create
from compliance.models import GiftRequest, KycReview, KycSubmission
from creators.models import CreatorProfile, Trend, User, Video
from creators.trends import trend_submit
from moderation.models import Appeal, Evaluation, Flag
from moderation.services import MediaSource, appeal_create, evaluation_create, evaluation_run
from payouts.gifts import gift_send, held_gifts_release, wallet_topup
from payouts.models import PayoutRun, Withdrawal
from payouts.selectors import owner_balances
from payouts.split.runs import PayoutRunError, payout_period_run, revenue_record
from payouts.withdrawals import withdrawal_request

from .models import SimulationRun
from .services import DEMO_STAFF_EMAIL, demo_accounts_ensure, demo_password
from .world.population import DEMO_CREATOR_EMAIL

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
# (clip, title prefix): the clean one publishes, the hateful one is flagged and appealed.
CLIPS = (("speech_hello.mp4", "clean"), ("speech_hate.mp4", "flagged"))
KEY_PREFIX = "demo-portal"
GIFTS = 8
GIFT_VIEWERS = 6
WITHDRAWAL_SHARE = 0.25
APPEAL_STATEMENT = (
    "This clip quotes the hateful comments I received so that my video can answer them; I do not agree "
    "with them. Please look at the whole video."
)
TREND = {
    "name": "One-pan dinners",
    "hashtag": "onepandinner",
    "description": "Cook a whole dinner in one pan in under 20 minutes and show the washing-up at the end.",
}


class PortalDemoError(RuntimeError):
    """The portal demo cannot be seeded (no world, no demo creator); the message says what to run first."""


@dataclass
class PortalDemoOutcome:
    seed: int
    added: dict[str, int] = field(default_factory=dict)  # what this call wrote, per kind
    notes: list[str] = field(default_factory=list)  # steps skipped, and why
    seconds: float = 0.0

    def add(self, kind: str, n: int = 1) -> None:
        self.added[kind] = self.added.get(kind, 0) + n


# --- Entry point -------------------------------------------------------------------------------------


def portal_demo_seed(*, seed: int | None = None, moderation: bool = True) -> PortalDemoOutcome:
    """Give the demo creator of the seeded world the portal's data; a second call adds nothing.

    ``seed``: the world to use (its latest finished seeding); None: the latest world seeded.
    ``moderation``: run the speech and text models on the bundled clips (a few seconds on CPU).
    """
    started = time.perf_counter()
    runs = SimulationRun.objects.filter(finished_at__isnull=False)
    if seed is not None:
        runs = runs.filter(seed=seed)
    world = runs.order_by("-finished_at", "-id").first()
    if world is None:
        raise PortalDemoError("No demo world is seeded: run `manage.py seed_demo` first.")
    profile = CreatorProfile.objects.filter(user__email=DEMO_CREATOR_EMAIL).select_related("user").first()
    if profile is None:
        raise PortalDemoError(f"The world has no demo creator ({DEMO_CREATOR_EMAIL}).")
    _, staff = demo_accounts_ensure(password=demo_password())
    end = date.fromisoformat(world.params["end_date"])
    days = int(world.params["days"])
    outcome = PortalDemoOutcome(seed=world.seed)

    def rng(step: str) -> random.Random:
        # One stream per step: what one step skips on a second run cannot shift another step's draws.
        return random.Random(f"{KEY_PREFIX}:{step}:{world.params_digest}")

    _kyc_ensure(profile=profile, staff=staff, rng=rng("kyc"), end=end, outcome=outcome)
    _payout_runs_ensure(start=end - timedelta(days=days), end=end, rng=rng("payouts"), outcome=outcome)
    _gifts_ensure(profile=profile, rng=rng("gifts"), end=end, outcome=outcome)
    _withdrawal_ensure(profile=profile, seed=world.seed, outcome=outcome)
    if moderation:
        _moderation_ensure(profile=profile, outcome=outcome)
    else:
        outcome.notes.append("moderation skipped (--skip-moderation)")
    _trend_ensure(profile=profile, outcome=outcome)
    outcome.seconds = time.perf_counter() - started
    logger.info("portal_demo_seeded seed=%s added=%s seconds=%.1f", world.seed, outcome.added, outcome.seconds)
    return outcome


# --- KYC ---------------------------------------------------------------------------------------------


def _ascii_name(value: str) -> str:
    """Letters, spaces and hyphens only, accents dropped: what an MRZ can carry."""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return " ".join("".join(c for c in part if c.isalpha() or c == "-") for part in plain.split()).strip()


def _mrz_field(value: str, length: int) -> str:
    return (value + "<" * length)[:length]


def passport_mrz(*, number: str, country3: str, surname: str, given: str, birth: date, sex: str, expiry: date) -> str:
    """An ICAO 9303 TD3 (passport) machine-readable zone with correct check digits."""
    name = _mrz_field(surname.upper().replace(" ", "<").replace("-", "<") + "<<" + given.upper().replace(" ", "<"), 39)
    line1 = _mrz_field("P<" + country3, 5) + name
    num, born, expires, personal = _mrz_field(number, 9), f"{birth:%y%m%d}", f"{expiry:%y%m%d}", "<" * 14
    body = num + check_digit(num) + country3 + born + check_digit(born) + sex
    body += expires + check_digit(expires) + personal + check_digit(personal)
    composite = check_digit(body[0:10] + body[13:20] + body[21:43])
    return f"{line1}\n{body}{composite}"


def _passport_number(country: str, rng: random.Random) -> str:
    digits = "".join(str(rng.randrange(10)) for _ in range(9))
    letters = "".join(rng.choice("CFGHJKLMNPRTVWXYZ") for _ in range(3))
    return {
        "US": "5" + digits[:8],
        "DE": letters[0] + digits[:8],
        "FR": digits[:2] + letters[:2] + digits[2:7],
        "ES": letters + digits[:6],
        "IT": letters[:2] + digits[:7],
        "NL": letters[:2] + digits[:7],
        "IN": letters[0] + digits[:7],
        "CA": letters[:2] + digits[:6],
    }.get(country, digits)


def document_scan_png(width: int = 96, height: int = 64) -> bytes:
    """A small grey PNG standing in for the scan of the passport's photo page."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes((x * 2 + y) % 256 for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _kyc_ensure(*, profile: CreatorProfile, staff: User, rng: random.Random, end: date, outcome) -> None:
    user = profile.user
    if KycSubmission.objects.filter(user=user, status=KycSubmission.Status.APPROVED).exists():
        return
    submission = KycSubmission.objects.filter(user=user, status=KycSubmission.Status.NEEDS_REVIEW).first()
    if submission is None:
        given = _ascii_name(user.first_name) or "Demo"
        surname = _ascii_name(user.last_name) or "Creator"
        country = user.country if user.country in ALPHA2_TO_ALPHA3 else "GB"
        issued = end - timedelta(days=700)
        expires = issued.replace(year=issued.year + 10)
        birth = date(1988, 1, 1) + timedelta(days=rng.randrange(3650))
        number = _passport_number(country, rng)
        sex = "F" if rng.random() < 0.5 else "M"
        data = {
            "given_names": given,
            "surname": surname,
            "date_of_birth": birth.isoformat(),
            "sex": sex,
            "nationality": country,
            "address_line1": "1 Demo Street",
            "city": "Demo City",
            "postal_code": "10001",
            "address_country": country,
            "phone_number": str(user.phone_number) if user.phone_number else "+447400123456",
            "email": user.email,
        }
        passport = {
            "doc_type": "passport",
            "number": number,
            "issuing_country": country,
            "issue_date": issued.isoformat(),
            "expiry_date": expires.isoformat(),
            "mrz": passport_mrz(
                number=number,
                country3=ALPHA2_TO_ALPHA3[country],
                surname=surname,
                given=given,
                birth=birth,
                sex=sex,
                expiry=expires,
            ),
            "file": SimpleUploadedFile("passport.png", document_scan_png(), content_type="image/png"),
        }
        submission = kyc_submission_create(user=user, data=data, documents=[passport])
        outcome.add("kyc_submissions")
    if submission.status == KycSubmission.Status.NEEDS_REVIEW:
        waiting = "; ".join(f["reason"] for f in submission.flags if f.get("result") != "pass")
        submission = kyc_review_decide(
            submission=submission,
            reviewer=staff,
            decision=KycReview.Decision.APPROVE,
            reason=f"Demo data: the document verifies; approved by the demo staff user ({waiting or 'no warnings'}).",
        )
        outcome.add("kyc_reviews")
    if submission.status != KycSubmission.Status.APPROVED:
        outcome.notes.append(f"KYC submission {submission.pk} is {submission.status}, not approved")


# --- Revenue and payout runs -------------------------------------------------------------------------


def _payout_runs_ensure(*, start: date, end: date, rng: random.Random, outcome) -> None:
    today = timezone.now().date()
    day = start
    while day < end:
        pool = 100_000 + 1_000 * rng.randrange(100)  # $1,000 to $1,990 a day, drawn for every day
        if day + timedelta(days=1) > today:
            outcome.notes.append(f"payout run for {day} skipped: the day has not ended")
        elif PayoutRun.objects.filter(granularity=PayoutRun.Granularity.DAILY, period_start=day).exists():
            pass  # committed by an earlier seeding (or by someone else: left as it is)
        else:
            revenue_record(
                period_start=day, period_end=day + timedelta(days=1), amount_cents=pool,
                idempotency_key=f"{KEY_PREFIX}:{day.isoformat()}", memo=f"Demo net revenue of {day.isoformat()}",
            )  # fmt: skip
            try:
                run = payout_period_run(granularity=PayoutRun.Granularity.DAILY, period_start=day, pool_cents=pool)
            except PayoutRunError as exc:  # e.g. nobody eligible on a quiet first day: the run stays failed
                outcome.notes.append(f"payout run for {day} failed: {exc}")
            else:
                outcome.add("payout_runs_committed" if run.status == PayoutRun.Status.COMMITTED else "payout_runs")
        day += timedelta(days=1)


# --- Gifts ---------------------------------------------------------------------------------------------


def _gifts_ensure(*, profile: CreatorProfile, rng: random.Random, end: date, outcome) -> None:
    viewers = list(
        User.objects.filter(creator_profile__isnull=True, is_staff=False, is_active=True)
        .exclude(email=DEMO_STAFF_EMAIL)
        .order_by("email")
        .values_list("pk", flat=True)[:500]
    )
    if len(viewers) < GIFT_VIEWERS:
        outcome.notes.append("gifts skipped: too few viewers in the world")
        return
    senders = [User.objects.get(pk=pk) for pk in rng.sample(viewers, GIFT_VIEWERS)]
    end_moment = datetime(end.year, end.month, end.day, tzinfo=UTC)
    for i, sender in enumerate(senders):
        entry = wallet_topup(viewer=sender, amount_cents=5_000, idempotency_key=f"{KEY_PREFIX}:{i}",
                             reference="demo top-up")  # fmt: skip
        if not entry.replayed:
            outcome.add("wallet_topups")
    for i in range(GIFTS):
        slot = i % GIFT_VIEWERS
        sender = senders[slot]
        amount = 100 * rng.choice([2, 3, 5, 5, 10, 15])
        # Spread over the world's last ten days, each at an evening hour: some past the hold period.
        sent_at = end_moment - timedelta(days=10 - i, hours=rng.randrange(4, 10), minutes=rng.randrange(60))
        key = f"{KEY_PREFIX}:gift:{i}"
        body = f"{profile.handle}:{amount}:{key}".encode()
        stored = GiftRequest.objects.filter(sender=sender, idempotency_key=key).exists()
        gift = gift_send(
            sender=sender, receiver=profile, amount_cents=amount, currency="USD",
            device_id=f"demo-device-{slot:02d}", ip=f"73.{40 + slot}.{10 + slot}.{20 + slot}",
            idempotency_key=key, body_hash=hashlib.sha256(body).hexdigest(), now=sent_at,
        )  # fmt: skip
        if not stored:
            outcome.add(f"gifts_{gift.decision}")
    released = held_gifts_release(now=end_moment + timedelta(days=1))
    if released.released:
        outcome.add("gifts_released", released.released)


# --- Withdrawal ------------------------------------------------------------------------------------------


def _withdrawal_ensure(*, profile: CreatorProfile, seed: int, outcome) -> None:
    user = profile.user
    key = f"{KEY_PREFIX}:withdrawal:{seed}"
    if Withdrawal.objects.filter(creator=user, idempotency_key=key).exists():
        return
    available = owner_balances(user=user).available_cents
    amount = int(available * WITHDRAWAL_SHARE) // 100 * 100
    if amount < 1_000:
        outcome.notes.append(f"withdrawal skipped: {available} cents available is too little")
        return
    submission = KycSubmission.objects.filter(user=user, status=KycSubmission.Status.APPROVED).first()
    payee = submission.legal_name if submission is not None else profile.display_name
    withdrawal_request(creator=user, amount_cents=amount, payee_name=payee, idempotency_key=key)
    outcome.add("withdrawals")


# --- Moderation ------------------------------------------------------------------------------------------


def _moderation_ensure(*, profile: CreatorProfile, outcome) -> None:
    # The same two videos every time: the world never changes their status except through moderation
    # itself (published -> flagged), and pending ones (still to be evaluated in the story) are left alone.
    shown = [Video.Status.PUBLISHED, Video.Status.FLAGGED, Video.Status.REMOVED]
    videos = list(Video.objects.filter(creator=profile, status__in=shown, media_file="").order_by("public_id")[:2])
    for (clip, _label), video in zip(CLIPS, videos, strict=False):
        if Evaluation.objects.filter(video=video).exists():
            continue
        evaluation = evaluation_create(video=video, requested_by=profile.user)
        source = MediaSource(path=DATA_DIR / clip, details={"source": "demo clip", "clip": clip})
        evaluation = evaluation_run(evaluation_id=evaluation.pk, source=source)
        outcome.add(f"evaluations_{evaluation.status}")
        if evaluation.status != Evaluation.Status.DONE:
            outcome.notes.append(f"evaluation of {clip} {evaluation.status}: {evaluation.error_message}")
    flag = (
        Flag.objects.filter(creator=profile, origin=Flag.Origin.AUTOMATIC, evaluation__requested_by=profile.user)
        .order_by("created_at", "pk")
        .first()
    )
    if flag is None:
        if Evaluation.objects.filter(video__creator=profile).exists():
            outcome.notes.append("no evaluation of the demo clips was flagged: no appeal filed")
        return
    if not Appeal.objects.filter(flag=flag).exists():
        appeal_create(flag=flag, appellant=profile.user, statement=APPEAL_STATEMENT)
        outcome.add("appeals")


# --- Trends -----------------------------------------------------------------------------------------------


def _trend_ensure(*, profile: CreatorProfile, outcome) -> None:
    if Trend.objects.filter(originator=profile, hashtag__name=TREND["hashtag"]).exists():
        return
    trend_submit(originator=profile, **TREND)
    outcome.add("trends")
