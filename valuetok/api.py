"""The versioned API root: each app registers its viewsets on the one router."""

from rest_framework.routers import DefaultRouter

from creators.api.views import CreatorViewSet, VideoViewSet

router = DefaultRouter()
router.register("creators", CreatorViewSet, basename="creator")
router.register("videos", VideoViewSet, basename="video")
