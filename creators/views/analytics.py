"""A creator's videos and one video's analytics: engagement, EIS per window with reasons, moderation.

A creator sees only their own videos: another creator's video is a 404, the same answer as a video
that does not exist (whether it exists is not theirs to know).
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from creators.access import creator_or_404
from creators.portal import (
    PageNotFound,
    creator_videos_page,
    eis_chart,
    eis_summary,
    engagement_chart,
    engagement_summary,
    video_analytics,
    video_for_creator,
)


@never_cache
@require_GET
@login_required
def video_list(request: HttpRequest) -> HttpResponse:
    creator = creator_or_404(request)
    try:
        page, rows = creator_videos_page(creator=creator, page=request.GET.get("page", "1"))
    except PageNotFound as exc:
        raise Http404(str(exc)) from exc
    return render(request, "creators/video_list.html", {"creator": creator, "page": page, "rows": rows})


@never_cache
@require_GET
@login_required
def video_detail(request: HttpRequest, public_id) -> HttpResponse:
    creator = creator_or_404(request)
    video = video_for_creator(creator=creator, public_id=public_id)
    if video is None:
        raise Http404("No such video among yours.")
    analytics = video_analytics(creator=creator, video=video)
    windows = analytics.windows
    components = [
        (key, label, [getattr(w.component(key), "score", None) for w in windows])
        for key, label in analytics.component_keys
    ]
    context = {
        "analytics": analytics,
        "video": video,
        "eis_chart": eis_chart([(w.day, w.engagement_integrity_score) for w in windows], components),
        "eis_summary": eis_summary([(w.day, w.engagement_integrity_score, w.band) for w in windows]),
        "engagement_chart": engagement_chart([(w.day, w.engagement) for w in windows]),
        "engagement_summary": engagement_summary([(w.day, w.engagement) for w in windows]),
        # Each window's components lined up with the table's columns (a window may lack one).
        "eis_rows": [(w, [w.component(key) for key, _ in analytics.component_keys]) for w in windows],
        "windows_newest_first": list(reversed(windows)),
    }
    return render(request, "creators/video_detail.html", context)
