"""Creator pages: the list of monthly statements, one statement as HTML, and its CSV download.

A creator only ever sees their own: the URL names a month, never a creator, and the statement is
computed for the signed-in user's creator profile. A malformed month, a future month, or one before
the creator's first activity is a 404.
"""

import csv
import io

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from creators.access import creator_or_404
from payouts.statements import (
    CATEGORY_LABELS,
    StatementNotFound,
    month_parse,
    statement_csv_rows,
    statement_for,
    statement_months,
)


def _statement(request: HttpRequest, month: str):
    creator = creator_or_404(request)
    try:
        return statement_for(creator=creator, month=month_parse(month))
    except StatementNotFound as exc:
        raise Http404(str(exc)) from exc


@never_cache
@require_GET
@login_required
def statement_list(request: HttpRequest) -> HttpResponse:
    creator = creator_or_404(request)
    return render(request, "payouts/statement_list.html", {"months": statement_months(creator=creator)})


@never_cache
@require_GET
@login_required
def statement_detail(request: HttpRequest, month: str) -> HttpResponse:
    statement = _statement(request, month)
    totals = [(CATEGORY_LABELS[k], v) for k, v in statement.category_totals.items()]
    return render(request, "payouts/statement.html", {"statement": statement, "category_rows": totals})


@never_cache
@require_GET
@login_required
def statement_csv(request: HttpRequest, month: str) -> HttpResponse:
    statement = _statement(request, month)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(statement_csv_rows(statement))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="valuetok-statement-{statement.slug}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
