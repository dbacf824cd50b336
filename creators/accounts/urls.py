"""Account pages. Names are not namespaced: Django's auth views reverse 'login', 'password_reset_done'..."""

from django.contrib.auth import views as auth_views
from django.urls import path

from creators.accounts import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("signup/done/", views.signup_done, name="signup-done"),
    path("verify/resend/", views.verify_email_resend, name="verify-email-resend"),
    path("verify/<str:token>/", views.verify_email, name="verify-email"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("tokens/", views.tokens, name="api-tokens"),
    path("tokens/<uuid:token_id>/revoke/", views.token_revoke, name="api-token-revoke"),
]
