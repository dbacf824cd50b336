from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from creators.selectors import platform_totals

from . import health


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"totals": platform_totals()})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every dependency answers; 503 naming the ones that did not."""
    results = health.run_checks()
    failed = [r.name for r in results if not r.ok]
    body = {
        "status": "ok" if not failed else "unavailable",
        "failed": failed,
        "checks": {r.name: r.as_dict() for r in results},
    }
    return JsonResponse(body, status=503 if failed else 200)
