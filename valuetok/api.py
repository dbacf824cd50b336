"""The versioned API root: each app registers its viewsets on the one router."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from compliance.api.aml import GiftView
from compliance.api.kyc import KycStatusView, KycSubmissionViewSet
from creators.api.views import CreatorViewSet, VideoViewSet
from integrity.api.views import EventBatchView

router = DefaultRouter()
router.register("creators", CreatorViewSet, basename="creator")
router.register("videos", VideoViewSet, basename="video")
router.register("kyc/submissions", KycSubmissionViewSet, basename="kyc-submission")

# Endpoints that are not collections of one model.
extra_urls = [
    path("events/", EventBatchView.as_view(), name="event-batch"),
    path("gifts/", GiftView.as_view(), name="gift-create"),
    path("kyc/status/", KycStatusView.as_view(), name="kyc-status"),
    path("", include("moderation.api.urls")),
    path("", include("payouts.api.urls")),
]
