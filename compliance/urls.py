"""Compliance pages outside the API and admin."""

from django.urls import path

from compliance.kyc.pages import kyc_page
from compliance.kyc.views import identity_document_download

app_name = "compliance"

urlpatterns = [
    path("kyc/", kyc_page, name="kyc"),
    path("documents/<uuid:document_id>/", identity_document_download, name="kyc-document"),
]
