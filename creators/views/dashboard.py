"""The creator's dashboard: engagement, EIS and its trend, trust, KYC, balances, flags and plaques.

Only creators have one: anonymous visitors are sent to sign in, signed-in users without a creator
profile get a 404 (decisions.md). Everything shown comes from ``creators.portal.creator_dashboard``
in a fixed number of queries.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from creators.access import creator_or_404
from creators.portal import creator_dashboard, eis_chart, eis_summary


@never_cache
@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    creator = creator_or_404(request)
    data = creator_dashboard(creator=creator)
    context = {
        "dashboard": data,
        "eis_trend_chart": eis_chart([(p.day, p.engagement_integrity_score) for p in data.trend]),
        "eis_trend_summary": eis_summary([(p.day, p.engagement_integrity_score, p.band) for p in data.trend]),
        "min_kyc_level": settings.PAYOUTS_MIN_KYC_LEVEL,
    }
    return render(request, "creators/dashboard.html", context)
