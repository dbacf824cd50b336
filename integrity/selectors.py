"""Reads of integrity results for the API, dashboards and payouts."""

from creators.models import Video

from .eis.config import CURRENT
from .models import EngagementWindow, VideoIntegrity


def video_integrity_current(*, video: Video, scoring_version: str = CURRENT.version) -> dict:
    """The video's current EIS, the components and reasons of its latest scored window, and the trend."""
    current = VideoIntegrity.objects.filter(video=video, scoring_version=scoring_version).first()
    windows = EngagementWindow.objects.filter(video=video, granularity="day", scoring_version=scoring_version)
    latest = (
        windows.exclude(engagement_integrity_score=None).order_by("-window_start").first()
        or windows.order_by("-window_start").first()
    )
    trend = list(
        windows.order_by("window_start").values(
            "window_start", "window_end", "engagement_integrity_score", "band", "events_total", "events_invalid"
        )
    )
    return {
        "video": video,
        "scoring_version": scoring_version,
        "engagement_integrity_score": current.engagement_integrity_score if current else None,
        "band": current.band if current else EngagementWindow.Band.INSUFFICIENT,
        "latest_window": latest,
        "trend": trend,
    }
