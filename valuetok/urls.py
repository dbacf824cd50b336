from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views
from .api import extra_urls, router

# JSON in the API's one error shape under /api/, Django's usual pages elsewhere.
handler400 = "valuetok.api_errors.bad_request"
handler403 = "valuetok.api_errors.permission_denied"
handler404 = "valuetok.api_errors.page_not_found"
handler500 = "valuetok.api_errors.server_error"

admin.site.site_header = "ValueTok staff"
admin.site.site_title = "ValueTok staff"
admin.site.index_title = "Trust & Safety and Finance"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("creators.accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    path("api/v1/", include(extra_urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("", include("creators.urls")),
    path("compliance/", include("compliance.urls")),
    path("moderation/", include("moderation.urls")),
    path("payouts/", include("payouts.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
