"""Creator page for trend ideas: submit one, and follow your own (status, adoption, bonus, boost)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from creators.access import creator_or_404
from creators.trends import TrendError, trend_submit, trends_for_creator


class TrendForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What people will call it, e.g. Dance off.")
    hashtag = forms.CharField(max_length=65, help_text="Letters, digits and '_'; with or without '#'.")
    description = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))


@login_required
@require_http_methods(["GET", "POST"])
def trends(request: HttpRequest) -> HttpResponse:
    creator = creator_or_404(request)
    form = TrendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            trend = trend_submit(originator=creator, **form.cleaned_data)
        except TrendError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Your trend idea #{trend.hashtag.name} was sent for review.")
            return redirect("payouts:trends")
    return render(request, "payouts/trends.html", {"form": form, "trends": trends_for_creator(creator=creator)})
