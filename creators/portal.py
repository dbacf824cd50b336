"""Reads for the creator portal pages: the dashboard, the list of videos and one video's analytics.

Every function here runs a fixed number of queries, whatever the number of videos, windows or
evaluations a creator has (tests/creators/test_portal_selectors.py counts them: the dashboard is
load-tested at 100 requests per second on two cores), and reads bounded ranges: the dashboard's
totals cover the creator's latest DASHBOARD_TOTAL_DAYS days of daily windows and its trend the
latest DASHBOARD_TREND_DAYS; a video's page shows its latest VIDEO_WINDOWS daily windows.

Ranges end at the creator's (or video's) latest daily window, not at today: that is the same anchor
the integrity pass uses for a video's current EIS and a creator's trust, and the pages say the dates.

Numbers are never made up: a day or a window without enough data to score has no EIS (``None``),
and the pages say so instead of drawing a zero.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, F, FloatField, Max, OuterRef, Subquery, Sum, When
from django.db.models.functions import TruncDate
from django.utils.safestring import SafeString

from compliance.kyc.selectors import KycStatus, kyc_status_for_user
from compliance.models import KycSubmission
from creators.milestones import milestone_schedule, milestones_for_creator
from creators.models import CreatorProfile, MilestoneAward, Video
from integrity.eis.config import CURRENT
from integrity.models import CreatorTrust, EngagementWindow
from moderation.models import Evaluation, Flag
from moderation.selectors import evaluation_transcript_html, flags_for_creator
from moderation.summary import TASK_NAMES, driving_spans
from payouts.selectors import OwnerBalances, owner_balances

DASHBOARD_TOTAL_DAYS = 30
DASHBOARD_TREND_DAYS = 90
DASHBOARD_FLAGS = 5
# Windows that pulled the creator's trust down, shown with their reasons.
TRUST_LOW_WINDOWS = 3
VIDEO_WINDOWS = 30
VIDEO_FLAGS = 5
VIDEOS_PER_PAGE = 20

DAY = EngagementWindow.Granularity.DAY
BAND_LABELS = dict(EngagementWindow.Band.choices)
# The EIS components in the order of their weight in the blend (integrity/eis/config.py).
COMPONENT_LABELS = {
    "authentic_engagement": "Authentic engagement",
    "like_integrity": "Like integrity",
    "comment_quality": "Comment quality",
    "report_cleanliness": "Report cleanliness",
    "audience_diversity": "Audience diversity",
    "timing": "Timing",
}
RISK_TASKS = (("hate", "hate_risk"), ("mental_health", "mental_health_risk"), ("clickbait", "clickbait_risk"))
DECIDER_LABELS = {"local": "local classifiers", "llm": "LLM fallback"}
TIMES = "\u00d7"  # the multiplication sign, as in "x1.05"


def band_label(band: str) -> str:
    return BAND_LABELS.get(band, band)


def _creator_band(score: float | None) -> str:
    return CURRENT.band(None if score is None else round(score, 1))


# --- Shared shapes ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Engagement:
    """Counted (judged valid) engagement, and how much was set aside as invalid traffic."""

    views: int = 0
    likes: int = 0
    comments: int = 0
    shares: int = 0
    events_total: int = 0
    events_invalid: int = 0

    @property
    def interactions(self) -> int:
        return self.likes + self.comments + self.shares

    @property
    def engagement_rate(self) -> float | None:
        """Likes, comments and shares per counted view; None without counted views."""
        return self.interactions / self.views if self.views else None

    @property
    def set_aside_share(self) -> float | None:
        return self.events_invalid / self.events_total if self.events_total else None

    # Percentages for the templates (None stays None: the page then says there is nothing to rate).
    @property
    def engagement_rate_percent(self) -> float | None:
        rate = self.engagement_rate
        return None if rate is None else 100.0 * rate

    @property
    def set_aside_percent(self) -> float | None:
        share = self.set_aside_share
        return None if share is None else 100.0 * share


def engagement_sum(items) -> Engagement:
    """The sum of several ``Engagement`` values."""
    items = list(items)
    return Engagement(**{name: sum(getattr(e, name) for e in items) for name in Engagement.__dataclass_fields__})


def _engagement(row: dict) -> Engagement:
    """An ``Engagement`` from a row annotated with ``ENGAGEMENT_SUMS``."""
    return Engagement(**{name: int(row.get(f"sum_{name}") or 0) for name in Engagement.__dataclass_fields__})


# Prefixed: an annotation named like a column would shadow it for F() in the same query.
ENGAGEMENT_SUMS = {
    "sum_views": Sum("valid_views"),
    "sum_likes": Sum("valid_likes"),
    "sum_comments": Sum("valid_comments"),
    "sum_shares": Sum("valid_shares"),
    "sum_events_total": Sum("events_total"),
    "sum_events_invalid": Sum("events_invalid"),
}


@dataclass(frozen=True)
class DayPoint:
    """One day of a creator's (or one video's) daily windows."""

    day: date
    engagement: Engagement
    engagement_integrity_score: float | None
    band: str

    @property
    def band_label(self) -> str:
        return band_label(self.band)


@dataclass(frozen=True)
class Component:
    key: str
    label: str
    score: float | None
    band: str
    reason: str

    @property
    def band_label(self) -> str:
        return band_label(self.band)


def window_components(components: object) -> list[Component]:
    """A stored window's components in blend order, each with its score, band and reason.

    Tolerates what the JSON column may hold from older versions: unknown components come last,
    missing fields read as "no score" rather than failing the page.
    """
    if not isinstance(components, dict):
        return []
    keys = [k for k in COMPONENT_LABELS if k in components] + sorted(k for k in components if k not in COMPONENT_LABELS)
    out = []
    for key in keys:
        value = components[key] if isinstance(components[key], dict) else {}
        score = value.get("score")
        score = float(score) if isinstance(score, int | float) and not isinstance(score, bool) else None
        band = str(value.get("band") or CURRENT.band(score))
        label = COMPONENT_LABELS.get(key, key.replace("_", " ").capitalize())
        out.append(Component(key=key, label=label, score=score, band=band, reason=str(value.get("reason") or "")))
    return out


# --- Dashboard -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CurrentEis:
    """The creator's current EIS: their videos' current EIS, weighted by each video's recent engagement."""

    score: float | None
    band: str
    videos: int

    @property
    def band_label(self) -> str:
        return band_label(self.band)


@dataclass(frozen=True)
class TrustWindow:
    """A recent daily window that pulled the creator's trust down, and its weakest component's reason."""

    video_public_id: object
    video_title: str
    day: date
    score: float
    band: str
    component: Component | None

    @property
    def band_label(self) -> str:
        return band_label(self.band)


@dataclass(frozen=True)
class TrustExplained:
    score: float | None
    band: str
    windows: int
    updated_at: datetime | None
    multiplier: float
    excluded: bool
    reasons: list[str]
    low_windows: list[TrustWindow]

    @property
    def band_label(self) -> str:
        return band_label(self.band)


@dataclass(frozen=True)
class CreatorDashboard:
    creator: CreatorProfile
    video_count: int
    latest_day: date | None  # the creator's latest daily window; None when there is none yet
    totals_start: date | None
    totals: Engagement
    current_eis: CurrentEis
    trend: list[DayPoint]
    trust: TrustExplained
    kyc: KycStatus
    kyc_status_label: str
    balances: OwnerBalances
    flags: list[Flag]
    plaques: list[MilestoneAward]
    first_milestone: int | None


def _creator_windows(*, creator: CreatorProfile):
    return EngagementWindow.objects.filter(video__creator=creator, granularity=DAY, scoring_version=CURRENT.version)


def _creator_windows_in(*, creator: CreatorProfile, last: datetime, days: int):
    """The creator's daily windows of the ``days`` days ending with ``last``."""
    return _creator_windows(creator=creator).filter(
        window_start__gt=last - timedelta(days=days), window_start__lte=last
    )


def _creator_latest_day(*, creator: CreatorProfile) -> datetime | None:
    return _creator_windows(creator=creator).aggregate(last=Max("window_start"))["last"]


def _weighted_eis_sums() -> dict:
    # Weighted by all engagement (events_total), counted or not, like the integrity pass: weighting by
    # counted views alone would let a window that lost its views to invalid traffic hide its low score.
    scored = {"engagement_integrity_score__isnull": False}
    return {
        "eis_weighted": Sum(
            Case(
                When(**scored, then=F("engagement_integrity_score") * F("events_total")),
                default=None,
                output_field=FloatField(),
            )
        ),
        "eis_weight": Sum(Case(When(**scored, then=F("events_total")), default=0)),
    }


def creator_trend(*, creator: CreatorProfile, last: datetime, days: int = DASHBOARD_TREND_DAYS) -> list[DayPoint]:
    """Per day: counted engagement and the engagement-weighted EIS of the creator's scored windows."""
    rows = (
        _creator_windows_in(creator=creator, last=last, days=days)
        .annotate(day=TruncDate("window_start"))
        .values("day")
        .annotate(**ENGAGEMENT_SUMS, **_weighted_eis_sums())
        .order_by("day")
    )
    points = []
    for row in rows:
        weight = row["eis_weight"] or 0
        score = round(row["eis_weighted"] / weight, 1) if weight and row["eis_weighted"] is not None else None
        points.append(
            DayPoint(day=row["day"], engagement=_engagement(row), engagement_integrity_score=score,
                     band=_creator_band(score))
        )  # fmt: skip
    return points


def creator_current_eis(*, creator: CreatorProfile, last: datetime, days: int = DASHBOARD_TOTAL_DAYS) -> CurrentEis:
    """The mean of the creator's videos' current EIS, each weighted by its engagement in the period.

    Summing ``current EIS x events`` over the period's windows of each scored video is the same as
    weighting each video's current EIS by its engagement in the period, in one aggregate.
    """
    row = (
        _creator_windows_in(creator=creator, last=last, days=days)
        .filter(
            video__integrity__scoring_version=CURRENT.version,
            video__integrity__engagement_integrity_score__isnull=False,
        )
        .aggregate(
            weighted=Sum(
                F("video__integrity__engagement_integrity_score") * F("events_total"), output_field=FloatField()
            ),
            weight=Sum("events_total"),
            videos=Count("video", distinct=True),
        )
    )
    weight = row["weight"] or 0
    score = round(row["weighted"] / weight, 1) if weight and row["weighted"] is not None else None
    return CurrentEis(
        score=score, band=_creator_band(score), videos=int(row["videos"] or 0) if score is not None else 0
    )


def creator_trust_explained(*, creator: CreatorProfile, last: datetime | None) -> TrustExplained:
    """Integrity's trust score for the creator, what it does to payouts, and the windows that lowered it."""
    trust = CreatorTrust.objects.filter(creator=creator).first()
    score = trust.score if trust else None
    low, high = float(settings.PAYOUTS_TRUST_MIN), float(settings.PAYOUTS_TRUST_MAX)
    bot_line = float(settings.PAYOUTS_LIKELY_BOT_TRUST_BELOW)
    days = CURRENT.creator_trust_days
    if score is None:
        multiplier, excluded = 1.0, False
        reasons = [
            f"Not enough scored engagement on your videos in the last {days} days to judge yet.",
            f"Until there is, payout runs use a neutral trust multiplier of {TIMES}1.00.",
        ]
    else:
        multiplier = low + (high - low) * score / 100.0
        excluded = score < bot_line
        until = f" to {_day_label(last.date())}" if last else ""
        reasons = [
            f"The EIS of {trust.windows} daily window{'s' if trust.windows != 1 else ''} of your videos in the "
            f"{days} days{until}, each weighted by its engagement.",
            f"Payout runs multiply your earnings by {TIMES}{multiplier:.2f} "
            f"({TIMES}{low:.2f} at a score of 0, {TIMES}{high:.2f} at 100).",
        ]
        if excluded:
            reasons.append(
                f"Below {bot_line:g}: payout runs treat your engagement as likely automated and leave you out "
                "until your score recovers."
            )
    low_windows: list[TrustWindow] = []
    if last is not None:
        rows = (
            _creator_windows_in(creator=creator, last=last, days=days)
            .filter(
                band__in=[EngagementWindow.Band.LOW, EngagementWindow.Band.MEDIUM],
                engagement_integrity_score__isnull=False,
            )
            .order_by("engagement_integrity_score", "-window_start", "video_id")
            .values(
                "video__public_id", "video__title", "window_start", "engagement_integrity_score", "band", "components"
            )
        )[:TRUST_LOW_WINDOWS]
        for row in rows:
            scored = [c for c in window_components(row["components"]) if c.score is not None]
            weakest = min(scored, key=lambda c: c.score) if scored else None
            low_windows.append(
                TrustWindow(
                    video_public_id=row["video__public_id"],
                    video_title=row["video__title"],
                    day=row["window_start"].date(),
                    score=row["engagement_integrity_score"],
                    band=row["band"],
                    component=weakest,
                )
            )
    return TrustExplained(
        score=score,
        band=_creator_band(score),
        windows=trust.windows if trust else 0,
        updated_at=trust.updated_at if trust else None,
        multiplier=round(multiplier, 2),
        excluded=excluded,
        reasons=reasons,
        low_windows=low_windows,
    )


def creator_dashboard(*, creator: CreatorProfile) -> CreatorDashboard:
    """Everything the dashboard shows, in a fixed number of queries."""
    user = creator.user
    last = _creator_latest_day(creator=creator)
    if last is not None:
        trend = creator_trend(creator=creator, last=last)
        totals_start = (last - timedelta(days=DASHBOARD_TOTAL_DAYS - 1)).date()
        totals = engagement_sum(p.engagement for p in trend if p.day >= totals_start)
        current = creator_current_eis(creator=creator, last=last)
    else:
        trend, totals, totals_start = [], Engagement(), None
        current = CurrentEis(score=None, band=EngagementWindow.Band.INSUFFICIENT, videos=0)
    kyc = kyc_status_for_user(user=user)
    schedule = milestone_schedule()
    return CreatorDashboard(
        creator=creator,
        video_count=Video.objects.filter(creator=creator).count(),
        latest_day=last.date() if last else None,
        totals_start=totals_start,
        totals=totals,
        current_eis=current,
        trend=trend,
        trust=creator_trust_explained(creator=creator, last=last),
        kyc=kyc,
        kyc_status_label=_kyc_status_label(kyc.status),
        balances=owner_balances(user=user),
        flags=list(flags_for_creator(user=user)[:DASHBOARD_FLAGS]),
        plaques=list(milestones_for_creator(creator=creator)),
        first_milestone=schedule[0].threshold if schedule else None,
    )


def _kyc_status_label(status: str) -> str:
    if status == "none":
        return "Not submitted"
    return dict(KycSubmission.Status.choices).get(status, status)


# --- Videos list -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class VideoRow:
    video: Video
    engagement: Engagement
    engagement_integrity_score: float | None
    band: str
    evaluation: Evaluation | None

    @property
    def band_label(self) -> str:
        return band_label(self.band)


def _current_integrity(video: Video) -> tuple[float | None, str]:
    """The video's current EIS and band from ``select_related("integrity")``; none for another version."""
    integrity = getattr(video, "integrity", None)
    if integrity is None or integrity.scoring_version != CURRENT.version:
        return None, EngagementWindow.Band.INSUFFICIENT
    return integrity.engagement_integrity_score, integrity.band


def _latest_evaluation_id():
    return Subquery(Evaluation.objects.filter(video=OuterRef("pk")).order_by("-created_at", "-id").values("id")[:1])


class PageNotFound(Exception):
    """The page number asked for is not a page of this list."""


def creator_videos_page(*, creator: CreatorProfile, page: str | int | None = 1) -> tuple[Page, list[VideoRow]]:
    """One page of the creator's videos, newest first, with counted views, current EIS and latest evaluation.

    Four queries for any page: the count, the page (with each video's current EIS and latest
    evaluation id), the page's engagement sums, and the page's latest evaluations.
    """
    videos = (
        Video.objects.filter(creator=creator)
        .select_related("integrity")
        .annotate(latest_evaluation_id=_latest_evaluation_id())
        .order_by("-created_at", "-id")
    )
    paginator = Paginator(videos, VIDEOS_PER_PAGE)
    try:
        number = int(page or 1)
    except (TypeError, ValueError) as exc:
        raise PageNotFound(f"{page!r} is not a page number.") from exc
    if number < 1 or number > paginator.num_pages:
        raise PageNotFound(f"There is no page {number}: your videos fill {paginator.num_pages}.")
    current = paginator.page(number)
    page_videos = list(current.object_list)
    ids = [v.pk for v in page_videos]
    sums = {
        row["video_id"]: _engagement(row)
        for row in EngagementWindow.objects.filter(video_id__in=ids, granularity=DAY, scoring_version=CURRENT.version)
        .values("video_id")
        .annotate(**ENGAGEMENT_SUMS)
        .order_by()
    }
    evaluation_ids = [v.latest_evaluation_id for v in page_videos if v.latest_evaluation_id]
    evaluations = (
        Evaluation.objects.only("id", "public_id", "status", "quality_score", "flagged", "needs_human_review").in_bulk(
            evaluation_ids
        )
        if evaluation_ids
        else {}
    )
    rows = []
    for video in page_videos:
        score, band = _current_integrity(video)
        rows.append(
            VideoRow(
                video=video,
                engagement=sums.get(video.pk, Engagement()),
                engagement_integrity_score=score,
                band=band,
                evaluation=evaluations.get(video.latest_evaluation_id),
            )
        )
    return current, rows


# --- One video's analytics -------------------------------------------------------------------------
@dataclass(frozen=True)
class WindowDetail:
    start: datetime
    end: datetime
    engagement: Engagement
    engagement_integrity_score: float | None
    band: str
    components: list[Component]

    @property
    def day(self) -> date:
        return self.start.date()

    @property
    def band_label(self) -> str:
        return band_label(self.band)

    def component(self, key: str) -> Component | None:
        return next((c for c in self.components if c.key == key), None)


@dataclass(frozen=True)
class TaskRisk:
    task: str
    label: str
    risk: float | None
    decided_by: str


@dataclass(frozen=True)
class ModerationResult:
    evaluation: Evaluation
    transcript_html: SafeString
    driving_spans: list[dict]
    risks: list[TaskRisk]


@dataclass(frozen=True)
class VideoAnalytics:
    video: Video
    engagement_integrity_score: float | None
    band: str
    windows: list[WindowDetail]  # oldest first, at most VIDEO_WINDOWS
    totals: Engagement  # over ``windows``
    moderation: ModerationResult | None
    flags: list[Flag] = field(default_factory=list)

    @property
    def band_label(self) -> str:
        return band_label(self.band)

    @property
    def component_keys(self) -> list[tuple[str, str]]:
        """The components that appear in any shown window, in blend order: (key, label)."""
        seen: dict[str, str] = {}
        for window in self.windows:
            for component in window.components:
                seen.setdefault(component.key, component.label)
        return list(seen.items())


def video_for_creator(*, creator: CreatorProfile, public_id) -> Video | None:
    """The creator's own video (with its current integrity row), or None: another's video is not found."""
    return Video.objects.select_related("integrity").filter(creator=creator, public_id=public_id).first()


def video_windows(*, video: Video, limit: int = VIDEO_WINDOWS) -> list[WindowDetail]:
    """The video's latest ``limit`` daily windows of the current scoring version, oldest first."""
    rows = (
        EngagementWindow.objects.filter(video=video, granularity=DAY, scoring_version=CURRENT.version)
        .order_by("-window_start")
        .values(
            "window_start", "window_end", "engagement_integrity_score", "band", "components", "valid_views",
            "valid_likes", "valid_comments", "valid_shares", "events_total", "events_invalid",
        )[:limit]
    )  # fmt: skip
    windows = [
        WindowDetail(
            start=row["window_start"],
            end=row["window_end"],
            engagement=Engagement(
                views=row["valid_views"],
                likes=row["valid_likes"],
                comments=row["valid_comments"],
                shares=row["valid_shares"],
                events_total=row["events_total"],
                events_invalid=row["events_invalid"],
            ),
            engagement_integrity_score=row["engagement_integrity_score"],
            band=row["band"],
            components=window_components(row["components"]),
        )
        for row in rows
    ]
    windows.reverse()
    return windows


def evaluation_latest(*, video: Video) -> Evaluation | None:
    return Evaluation.objects.filter(video=video).order_by("-created_at", "-id").first()


def moderation_result(*, evaluation: Evaluation) -> ModerationResult:
    """The evaluation explained: highlighted transcript, the passages that drove it, and per-task risks."""
    deciders = evaluation.deciders if isinstance(evaluation.deciders, dict) else {}
    risks = [
        TaskRisk(
            task=task,
            label=TASK_NAMES.get(task, task).capitalize(),
            risk=getattr(evaluation, attribute),
            decided_by=DECIDER_LABELS.get(deciders.get(task, ""), ""),
        )
        for task, attribute in RISK_TASKS
    ]
    spans = evaluation.spans if isinstance(evaluation.spans, dict) else {}
    drivers = [
        {**span, "task_label": TASK_NAMES.get(span["task"], span["task"])}
        for span in driving_spans(spans=spans)
        if 0 <= int(span.get("start", -1)) < int(span.get("end", -1)) <= len(evaluation.transcript)
    ]
    return ModerationResult(
        evaluation=evaluation,
        transcript_html=evaluation_transcript_html(evaluation=evaluation),
        driving_spans=drivers,
        risks=risks,
    )


def video_analytics(*, creator: CreatorProfile, video: Video) -> VideoAnalytics:
    """Everything the video's page shows, in a fixed number of queries (the video is already loaded)."""
    windows = video_windows(video=video)
    totals = engagement_sum(w.engagement for w in windows)
    evaluation = evaluation_latest(video=video)
    score, band = _current_integrity(video)
    return VideoAnalytics(
        video=video,
        engagement_integrity_score=score,
        band=band,
        windows=windows,
        totals=totals,
        moderation=moderation_result(evaluation=evaluation) if evaluation else None,
        flags=list(flags_for_creator(user=creator.user).filter(video=video)[:VIDEO_FLAGS]),
    )


# --- Charts: data for static/js/charts.js and the sentences that summarise them ----------------------
def _day_label(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def eis_summary(points: list[tuple[date, float | None, str]], *, what: str = "day") -> str:
    """A sentence saying what an EIS chart shows: latest, lowest, highest, and the days without a score."""
    if not points:
        return f"No daily windows yet: the EIS appears the {what} after your videos get views."
    scored = [(d, s, b) for d, s, b in points if s is not None]
    unscored = len(points) - len(scored)
    span = f"{len(points)} {what}{'s' if len(points) != 1 else ''} shown"
    if not scored:
        return f"None of the {span} had enough engagement to score."
    latest_day, latest_score, latest_band = scored[-1]
    lowest = min(scored, key=lambda p: (p[1], p[0]))
    highest = max(scored, key=lambda p: (p[1], p[0]))
    text = (
        f"Latest EIS {latest_score:.1f} ({band_label(latest_band)}) on {_day_label(latest_day)}. "
        f"Over the {span}: lowest {lowest[1]:.1f} on {_day_label(lowest[0])}, "
        f"highest {highest[1]:.1f} on {_day_label(highest[0])}."
    )
    if unscored:
        text += f" {unscored} {what}{'s' if unscored != 1 else ''} had too little engagement to score."
    return text


def engagement_summary(points: list[tuple[date, Engagement]]) -> str:
    if not points:
        return "No counted engagement yet."
    total = engagement_sum(e for _, e in points)
    busiest_day, busiest = max(points, key=lambda p: (p[1].views, p[0]))
    text = (
        f"Over the {len(points)} day{'s' if len(points) != 1 else ''} shown: {total.views:,} counted views, "
        f"{total.likes:,} likes, {total.comments:,} comments and {total.shares:,} shares"
    )
    if busiest.views:
        text += f"; the busiest day was {_day_label(busiest_day)} with {busiest.views:,} views"
    text += "."
    if total.events_invalid:
        text += f" {total.events_invalid:,} of {total.events_total:,} engagements were set aside as invalid traffic."
    return text


def _series(name: str, values: list) -> dict:
    return {"name": name, "y": values}


def eis_chart(points: list[tuple[date, float | None]], components: list[tuple[str, str, list]] = ()) -> dict:
    """Chart data: the EIS per day (gaps where unscored) and, optionally, each component's score."""
    return {
        "kind": "eis",
        "x": [d.isoformat() for d, _ in points],
        "series": [_series("EIS", [s for _, s in points])] + [_series(label, ys) for _, label, ys in components],
        "yTitle": "Score (0 to 100)",
        "yRange": [0, 100],
        "bands": list(CURRENT.bands),
    }


def engagement_chart(points: list[tuple[date, Engagement]]) -> dict:
    return {
        "kind": "engagement",
        "x": [d.isoformat() for d, _ in points],
        "series": [
            _series("Views", [e.views for _, e in points]),
            _series("Likes", [e.likes for _, e in points]),
            _series("Comments", [e.comments for _, e in points]),
            _series("Shares", [e.shares for _, e in points]),
        ],
        "yTitle": "Counted per day",
    }
