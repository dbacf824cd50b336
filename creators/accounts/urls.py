"""Account pages. Names are not namespaced: Django's auth views reverse 'login', 'password_reset_done'..."""

from django.contrib.auth import views as auth_views
from django.urls import path

from creators.accounts import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("tokens/", views.tokens, name="api-tokens"),
]
