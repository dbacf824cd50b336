"""Creator portal pages (server-rendered): dashboard, videos and their analytics, upload."""

from django.urls import path

from creators.views import analytics, dashboard, upload

app_name = "portal"
urlpatterns = [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("videos/", analytics.video_list, name="videos"),
    path("videos/upload/", upload.upload, name="upload"),
    path("videos/<uuid:public_id>/", analytics.video_detail, name="video"),
    path("videos/<uuid:public_id>/status/", upload.upload_status, name="upload-status"),
]
