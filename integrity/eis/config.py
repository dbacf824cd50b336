"""Versioned scoring configuration.

Every stored result records the version it was computed with. Changing any number here means a
new version string: results of different versions live side by side and can be compared.
"""

from dataclasses import dataclass, field

HOUR = 3_600
DAY = 86_400


@dataclass(frozen=True)
class ScoringConfig:
    version: str
    # Engagement units, as payouts count them.
    unit_weights: dict[str, float] = field(
        default_factory=lambda: {"view": 1.0, "like": 3.0, "comment": 5.0, "share": 8.0}
    )
    # Component weights in the EIS blend; components without data drop out and the rest renormalise.
    component_weights: dict[str, float] = field(
        default_factory=lambda: {
            "authentic_engagement": 0.35,
            "like_integrity": 0.15,
            "comment_quality": 0.10,
            "report_cleanliness": 0.10,
            "audience_diversity": 0.15,
            "timing": 0.15,
        }
    )
    bands: tuple[float, float] = (50.0, 80.0)  # below the first: low; from the second: high
    # Not enough data: fewer views than this in a window gives no score, only the band.
    min_views: int = 5
    min_likes: int = 3
    min_comments: int = 3
    min_timing_views: int = 8
    # Invalid-traffic rules. Actor signals look back this far before the window's end.
    actor_lookback_seconds: int = 2 * DAY
    bot_user_agent_pattern: str = (
        r"(bot|crawl|spider|slurp|headless|phantomjs|selenium|puppeteer|playwright|python-requests|"
        r"python-urllib|aiohttp|curl/|wget/|go-http-client|okhttp/[0-2]\.|java/|libwww|scrapy)"
    )
    max_events_per_minute: int = 60
    shared_device_accounts: int = 5
    # Connected clusters of the account-device graph: this many accounts or more, on fewer than
    # this many devices per account, is a device farm even when no single device is shared widely.
    cluster_min_accounts: int = 8
    cluster_max_devices_per_account: float = 0.6
    cluster_iterations: int = 8
    metronomic_min_views: int = 6
    metronomic_max_cv: float = 0.15
    lockstep_span_seconds: int = 30
    lockstep_min_videos: int = 3
    repeat_views_per_hour: int = 5
    # Report credibility: a report counts by its reporter's trust; this credible-report rate per
    # valid view takes report cleanliness to zero.
    credible_report_rate_floor: float = 0.02
    report_prior_views: int = 50
    # Timing: view inter-arrival coefficient of variation below this is too regular, above this too bursty.
    natural_cv_range: tuple[float, float] = (0.35, 3.0)
    # Likes per valid view above this are implausible.
    max_like_rate: float = 0.6
    # Current EIS and creator trust draw on daily windows this recent (before the latest one).
    current_days: int = 7
    creator_trust_days: int = 28

    def band(self, score: float | None) -> str:
        if score is None:
            return "insufficient"
        low, high = self.bands
        return "high" if score >= high else "medium" if score >= low else "low"


CURRENT = ScoringConfig(version="eis-2026.11-1")
VERSIONS = {CURRENT.version: CURRENT}


def config_for(version: str | None = None) -> ScoringConfig:
    if version is None:
        return CURRENT
    try:
        return VERSIONS[version]
    except KeyError as exc:
        raise ValueError(f"unknown scoring version {version!r}; known: {', '.join(VERSIONS)}") from exc
