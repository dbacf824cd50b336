"""Creator-facing moderation pages (flags and appeals)."""

from django.urls import path

from moderation import views

app_name = "moderation"
urlpatterns = [
    path("flags/", views.my_flags, name="my-flags"),
    path("flags/<uuid:public_id>/", views.flag_detail, name="flag-detail"),
]
