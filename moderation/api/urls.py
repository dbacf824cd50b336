"""Moderation API routes, included under /api/v1/ (the names the public API has always used)."""

from django.urls import path

from moderation.api.views import CheckContentView, EvaluationDetailView, FlaggedView

app_name = "moderation-api"

urlpatterns = [
    path("checkContent", CheckContentView.as_view(), name="check-content"),
    path("evaluations/<uuid:public_id>", EvaluationDetailView.as_view(), name="evaluation-detail"),
    path("flagged", FlaggedView.as_view(), name="flagged"),
]
