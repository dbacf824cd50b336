"""Account pages: sign up, email verification, password reset and API tokens. Thin: form, service, render."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from creators.accounts import services
from creators.accounts.forms import ApiTokenCreateForm, LoginForm, ResendVerificationForm, SignupForm
from creators.accounts.throttle import THROTTLED_MESSAGE, throttle_allows
from creators.accounts.tokens import ApiTokenError, api_token_create, api_token_revoke, api_tokens_of
from creators.models import ApiToken

BACKEND = "creators.accounts.backends.VerifiedEmailBackend"


def _site_url(request: HttpRequest) -> str:
    # The link in the mail points back at the host the person is using (validated by ALLOWED_HOSTS).
    return request.build_absolute_uri("/").rstrip("/")


def _throttled(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    return render(request, template, {**context, "throttled": THROTTLED_MESSAGE}, status=429)


# --- Sign up and verification ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        messages.info(request, "You are already signed in.")
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        if not throttle_allows(request, scope="signup"):
            return _throttled(request, "accounts/signup.html", {"form": SignupForm(request.POST)})
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = services.creator_signup(
                    email=data["email"],
                    password=data["password"],
                    handle=data["handle"],
                    display_name=data["display_name"],
                    country=data["country"],
                    site_url=_site_url(request),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                request.session["signup_email"] = user.email
                return redirect("signup-done")
    return render(request, "accounts/signup.html", {"form": form})


def signup_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_done.html", {"email": request.session.get("signup_email", "")})


@never_cache
@require_http_methods(["GET", "POST"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST uses the link: mail scanners that fetch links must not use it up."""
    try:
        if request.method == "POST":
            user = services.email_verification_confirm(token=token)
        else:
            verification = services.email_verification_check(token=token)
            return render(request, "accounts/verify_email.html", {"email": verification.email})
    except services.VerificationError as exc:
        status = 200 if exc.code == "used" else 400
        return render(request, "accounts/verify_email.html", {"error": exc.message, "code": exc.code}, status=status)
    login(request, user, backend=BACKEND)
    messages.success(request, "Thank you: your email address is verified and you are signed in.")
    return redirect("portal:dashboard")


@require_http_methods(["GET", "POST"])
def verify_email_resend(request: HttpRequest) -> HttpResponse:
    form = ResendVerificationForm(request.POST or None)
    if request.method == "POST":
        if not throttle_allows(request, scope="verify-resend"):
            return _throttled(request, "accounts/verify_resend.html", {"form": ResendVerificationForm(request.POST)})
        if form.is_valid():
            services.email_verification_resend(email=form.cleaned_data["email"], site_url=_site_url(request))
            # The same answer whether or not the address has an account waiting.
            messages.info(
                request,
                "If an account is waiting for verification at that address, a new link is on its way. "
                "It can take a few minutes; check your spam folder too.",
            )
            return redirect("login")
    return render(request, "accounts/verify_resend.html", {"form": form})


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # Both limits are counted before the password is checked, and a throttled attempt is refused
        # whether or not the password is right, so the limit tells a guesser nothing.
        email = (request.POST.get("username") or "").strip().lower()
        allowed = throttle_allows(request, scope="signin-ip", limit=settings.ACCOUNTS_SIGNIN_PER_IP_PER_MINUTE)
        allowed &= throttle_allows(
            request, scope="signin-account", limit=settings.ACCOUNTS_SIGNIN_PER_ACCOUNT_PER_MINUTE, subject=email
        )
        if not allowed:
            return _throttled(request, self.template_name, self.get_context_data(form=self.get_form()))
        return super().post(request, *args, **kwargs)

    def get_default_redirect_url(self) -> str:
        """Where a sign-in without ?next= lands: creators on their dashboard, staff in admin, others home."""
        user = self.request.user
        if hasattr(user, "creator_profile"):
            return resolve_url("portal:dashboard")
        if user.is_staff:
            return resolve_url("admin:index")
        return resolve_url("home")


# --- Password reset ----------------------------------------------------------------------------


class PlainLabelsMixin:
    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "label_suffix": ""}


class PasswordResetView(PlainLabelsMixin, auth_views.PasswordResetView):
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def post(self, request, *args, **kwargs):
        if not throttle_allows(request, scope="password-reset"):
            return _throttled(request, self.template_name, self.get_context_data(form=self.get_form()))
        return super().post(request, *args, **kwargs)


class PasswordResetConfirmView(PlainLabelsMixin, auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # The reset link reached the inbox, which is all the verification link proves.
        services.email_verification_confirm_by_reset(user=form.user)
        return response


# --- API tokens --------------------------------------------------------------------------------

EXPIRY_DAYS = {"30": 30, "90": 90, "365": 365, "never": None}


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    form = ApiTokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        days = EXPIRY_DAYS[form.cleaned_data["expires_in"]]
        try:
            token, key = api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                created_by=request.user,
                expires_at=timezone.now() + timedelta(days=days) if days else None,
            )
        except ApiTokenError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            # The key is in this response only: never cached, never shown again.
            response = render(request, "accounts/token_created.html", {"token": token, "key": key})
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "accounts/tokens.html", {"form": form, "tokens": api_tokens_of(user=request.user)})


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id) -> HttpResponse:
    token = get_object_or_404(ApiToken, public_id=token_id, user=request.user)
    if token.revoked_at is None:
        api_token_revoke(token=token, by=request.user)
        messages.success(request, f"Revoked the token “{token.name}”: it no longer works.")
    else:
        messages.info(request, f"The token “{token.name}” was already revoked.")
    return redirect("api-tokens")
