"""Compliance pages outside the API and admin."""

from django.urls import path

from compliance.kyc.views import identity_document_download

app_name = "compliance"

urlpatterns = [
    path("documents/<uuid:document_id>/", identity_document_download, name="kyc-document"),
]
