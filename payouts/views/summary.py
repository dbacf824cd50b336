"""The creator's payouts home: balances, milestone plaques, trends and links to statements."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from creators.access import creator_or_404
from creators.milestones import milestone_schedule, milestones_for_creator
from creators.trends import trends_for_creator
from payouts.selectors import owner_balances
from payouts.statements import statement_months


@require_GET
@login_required
def summary(request: HttpRequest) -> HttpResponse:
    creator = creator_or_404(request)
    balances = owner_balances(user=request.user)
    balance_rows = [
        ("Available", balances.available_cents),
        ("Held", balances.held_cents),
        ("Safety reserve", balances.reserve_cents),
        ("In transit", balances.in_transit_cents),
    ]
    context = {
        "creator": creator,
        "balance_rows": balance_rows,
        "plaques": milestones_for_creator(creator=creator),
        "first_milestone": next((m.threshold for m in milestone_schedule()), None),
        "trends": trends_for_creator(creator=creator)[:5],
        "months": statement_months(creator=creator)[:12],
    }
    return render(request, "payouts/summary.html", context)
