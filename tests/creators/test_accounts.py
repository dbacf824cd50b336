"""Sign up with email verification, sign in, password reset, and the throttles on those forms."""

import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.core import mail, signing
from django.core.cache import cache
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from creators.accounts.services import (
    VERIFICATION_SALT,
    creator_signup,
    email_verification_link,
    unverified_signups_prune,
)
from creators.models import CreatorProfile, EmailVerification, User
from tests.factories import PASSWORD, CreatorProfileFactory, UserFactory, VideoFactory

pytestmark = pytest.mark.django_db

SIGNUP = "/accounts/signup/"
LOGIN = "/accounts/login/"
RESEND = "/accounts/verify/resend/"
RESET = "/accounts/password-reset/"
GOOD_PASSWORD = "a long and unusual passphrase 42"
LINK = re.compile(r"https?://[^\s]+")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (the mails) as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def form(**overrides) -> dict:
    data = {
        "email": "Ann.Maker@Example.com",
        "password": GOOD_PASSWORD,
        "password_confirm": GOOD_PASSWORD,
        "display_name": "Ann Maker",
        "handle": "ann.makes",
        "country": "gb",
    }
    data.update(overrides)
    return data


def sign_up(commit, client: Client | None = None, **overrides):
    client = client or Client()
    with commit():
        response = client.post(SIGNUP, form(**overrides))
    return response


def link_in(message) -> str:
    return LINK.search(message.body).group(0)


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def assert_nothing_stored():
    assert not User.objects.filter(email__iexact="ann.maker@example.com").exists()
    assert not CreatorProfile.objects.filter(handle="ann.makes").exists()
    assert not EmailVerification.objects.exists()
    assert mail.outbox == []


# --- Sign up -----------------------------------------------------------------------------------


def test_the_sign_up_page_labels_every_field():
    html = Client().get(SIGNUP).content.decode()
    for field in ("email", "password", "password_confirm", "display_name", "handle", "country"):
        assert f'<label for="id_{field}">' in html
    assert 'autocomplete="new-password"' in html


def test_signing_up_makes_an_unverified_creator_and_mails_the_link(commit):
    response = sign_up(commit)

    assert response.status_code == 302
    assert response["Location"] == reverse("signup-done")
    user = User.objects.get(email="ann.maker@example.com")
    assert user.check_password(GOOD_PASSWORD)
    assert user.creator_profile.handle == "ann.makes"
    assert user.creator_profile.display_name == "Ann Maker"
    assert user.creator_profile.country == "GB"
    assert user.email_verification.verified_at is None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ann.maker@example.com"]
    assert "Verify your email" in message.subject
    assert path_of(link_in(message)).startswith("/accounts/verify/")
    assert link_in(message).startswith("http://testserver/")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "not-an-address"}, "email", "valid email"),
        ({"handle": "Bad Handle!"}, "handle", "A handle is 1 to 30"),
        ({"handle": "_starts_badly"}, "handle", "A handle is 1 to 30"),
        ({"password": "password", "password_confirm": "password"}, "password", "too common"),
        ({"password": "12345678901", "password_confirm": "12345678901"}, "password", "entirely numeric"),
        ({"password": "short", "password_confirm": "short"}, "password", "too short"),
        ({"password_confirm": "something else entirely"}, "password_confirm", "differ"),
        ({"country": "ZZ"}, "country", "two-letter ISO code"),
        ({"country": ""}, "country", "required"),
        ({"display_name": "   "}, "display_name", "required"),
    ],
)
def test_invalid_sign_ups_explain_the_field_and_store_nothing(commit, overrides, field, message):
    response = sign_up(commit, **overrides)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert re.search(rf'<(input)[^>]*aria-describedby="[^"]*id_{field}_error"[^>]*id="id_{field}"', html) or re.search(
        rf'<(input)[^>]*id="id_{field}"[^>]*aria-describedby="[^"]*id_{field}_error"', html
    )
    assert 'role="alert"' in html  # the error summary is announced
    assert_nothing_stored()


def test_an_email_already_used_in_another_case_is_refused(commit):
    UserFactory(email="ann.maker@example.com")
    response = sign_up(commit, email="ANN.MAKER@example.COM")
    assert "already exists" in " ".join(response.context["form"].errors["email"])
    assert User.objects.filter(email__iexact="ann.maker@example.com").count() == 1
    assert not CreatorProfile.objects.filter(handle="ann.makes").exists()
    assert mail.outbox == []


def test_a_taken_handle_is_refused(commit):
    CreatorProfileFactory(handle="ann.makes")
    response = sign_up(commit, handle="@Ann.Makes")
    assert "taken" in " ".join(response.context["form"].errors["handle"])
    assert not User.objects.filter(email="ann.maker@example.com").exists()
    assert mail.outbox == []


def test_the_password_may_not_resemble_the_email(commit):
    response = sign_up(commit, password="ann.maker.example", password_confirm="ann.maker.example")
    assert "too similar" in " ".join(response.context["form"].errors["password"])
    assert_nothing_stored()


def test_the_service_refuses_bad_input_by_field(commit):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as raised:
        creator_signup(email="x@example.com", password="1", handle="A B", display_name="", country="gb1")
    assert set(raised.value.message_dict) == {"password", "handle", "display_name", "country"}
    assert not User.objects.exists()


def test_a_signed_in_person_is_not_offered_sign_up():
    client = Client()
    client.force_login(UserFactory())
    assert client.get(SIGNUP).status_code == 302


# --- Verification ------------------------------------------------------------------------------


def test_an_unverified_account_cannot_sign_in_and_is_told_why(commit):
    sign_up(commit)
    client = Client()

    response = client.post(LOGIN, {"username": "ann.maker@example.com", "password": GOOD_PASSWORD})

    assert response.status_code == 200
    html = response.content.decode()
    assert "not verified yet" in html
    assert reverse("verify-email-resend") in html
    assert "_auth_user_id" not in client.session
    assert authenticate(username="ann.maker@example.com", password=GOOD_PASSWORD) is None


def test_a_wrong_password_on_an_unverified_account_reveals_nothing(commit):
    sign_up(commit)
    response = Client().post(LOGIN, {"username": "ann.maker@example.com", "password": "wrong password here"})
    html = response.content.decode()
    assert "did not match" in html
    assert "not verified" not in html


def test_the_link_verifies_once_signs_in_and_then_refuses(commit):
    sign_up(commit)
    path = path_of(link_in(mail.outbox[0]))
    client = Client()

    shown = client.get(path)  # mail scanners fetch links: a GET must not use it up
    assert shown.status_code == 200
    assert "ann.maker@example.com" in shown.content.decode()
    assert EmailVerification.objects.get().verified_at is None

    used = client.post(path)
    assert used.status_code == 302
    assert used["Location"] == reverse("portal:dashboard")
    assert EmailVerification.objects.get().verified_at is not None
    assert int(client.session["_auth_user_id"]) == User.objects.get(email="ann.maker@example.com").pk

    again = Client().post(path)
    assert again.status_code == 200
    assert "already been used" in again.content.decode()

    signed_in = Client().post(LOGIN, {"username": "Ann.Maker@example.com", "password": GOOD_PASSWORD})
    assert signed_in.status_code == 302


def past_token(user: User, seconds_ago: int) -> str:
    class PastSigner(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - seconds_ago)

    return PastSigner(salt=VERIFICATION_SALT).sign_object({"u": str(user.public_id), "e": user.email})


def test_an_expired_link_fails_and_offers_a_new_one(commit, settings):
    sign_up(commit)
    user = User.objects.get(email="ann.maker@example.com")
    expired = reverse("verify-email", args=[past_token(user, settings.ACCOUNTS_VERIFICATION_MAX_AGE_SECONDS + 5)])
    fresh_enough = reverse("verify-email", args=[past_token(user, settings.ACCOUNTS_VERIFICATION_MAX_AGE_SECONDS - 60)])

    response = Client().post(expired)

    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert reverse("verify-email-resend") in response.content.decode()
    assert EmailVerification.objects.get().verified_at is None
    assert Client().post(fresh_enough).status_code == 302


@pytest.mark.parametrize("tamper", ["signature", "payload", "garbage"])
def test_a_tampered_link_fails(commit, tamper):
    sign_up(commit)
    token = path_of(link_in(mail.outbox[0])).rstrip("/").rsplit("/", 1)[1]
    if tamper == "signature":
        token = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    elif tamper == "payload":
        token = "e" + token[1:] if token[0] != "e" else "f" + token[1:]
    else:
        token = "nothing-signed-here"

    response = Client().post(reverse("verify-email", args=[token]))

    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert EmailVerification.objects.get().verified_at is None


def test_a_link_for_an_address_the_account_no_longer_has_fails(commit):
    sign_up(commit)
    path = path_of(link_in(mail.outbox[0]))
    User.objects.filter(email="ann.maker@example.com").update(email="ann.new@example.com")
    assert Client().post(path).status_code == 400
    assert EmailVerification.objects.get().verified_at is None


def test_the_link_of_one_account_cannot_verify_another(commit):
    sign_up(commit)
    other = UserFactory()
    EmailVerification.objects.create(user=other, email=other.email)
    Client().post(path_of(link_in(mail.outbox[0])))
    assert EmailVerification.objects.get(user=other).verified_at is None


def test_accounts_made_by_staff_or_the_seed_sign_in_without_verification():
    user = UserFactory()
    response = Client().post(LOGIN, {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302


# --- Resending the link ------------------------------------------------------------------------


def test_resending_gives_the_same_answer_whether_or_not_the_address_waits(commit):
    sign_up(commit)
    mail.outbox.clear()
    EmailVerification.objects.update(last_sent_at=None)  # past the resend cooldown
    verified = UserFactory(email="someone@example.com")

    answers = []
    for address in ("ann.maker@example.com", "nobody@example.com", verified.email):
        with commit():
            response = Client().post(RESEND, {"email": address}, follow=True)
        answers.append((response.status_code, [str(m) for m in response.context["messages"]]))

    assert answers[0] == answers[1] == answers[2]
    assert [m.to for m in mail.outbox] == [["ann.maker@example.com"]]
    assert Client().post(path_of(link_in(mail.outbox[0]))).status_code == 302


def test_a_second_resend_within_a_minute_sends_nothing(commit):
    sign_up(commit)
    mail.outbox.clear()
    EmailVerification.objects.update(last_sent_at=None)
    for _ in range(2):
        with commit():
            Client().post(RESEND, {"email": "ann.maker@example.com"})
    assert len(mail.outbox) == 1


def test_a_resend_without_an_address_explains_the_field():
    response = Client().post(RESEND, {"email": "not an address"})
    assert response.status_code == 200
    assert 'id="id_email_error"' in response.content.decode()


# --- Throttles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (SIGNUP, {"email": "x"}),
        (RESEND, {"email": "someone@example.com"}),
        (RESET, {"email": "someone@example.com"}),
    ],
)
def test_too_many_posts_from_one_address_are_refused_with_a_message(settings, url, data):
    settings.ACCOUNTS_THROTTLE_PER_MINUTE = 2
    client = Client(REMOTE_ADDR="203.0.113.7")
    assert [client.post(url, data).status_code for _ in range(2)] != [429, 429]

    refused = client.post(url, data)

    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()
    assert Client(REMOTE_ADDR="203.0.113.8").post(url, data).status_code != 429


def test_a_throttled_sign_up_stores_nothing(settings, commit):
    settings.ACCOUNTS_THROTTLE_PER_MINUTE = 1
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.post(SIGNUP, {"email": "x"})
    response = sign_up(commit, client=client)
    assert response.status_code == 429
    assert_nothing_stored()


# --- Sign in and out ---------------------------------------------------------------------------


def test_the_sign_in_page_links_to_sign_up_reset_and_resend():
    html = Client().get(LOGIN).content.decode()
    for name in ("signup", "password_reset", "verify-email-resend"):
        assert f'href="{reverse(name)}"' in html
    assert '<label for="id_username">Email</label>' in html


def test_sign_in_is_throttled_per_account_whether_or_not_the_password_is_right(settings):
    settings.ACCOUNTS_SIGNIN_PER_ACCOUNT_PER_MINUTE = 2
    user = CreatorProfileFactory().user
    for n, address in enumerate(("203.0.113.1", "203.0.113.2")):  # spread over addresses: still one account
        response = Client(REMOTE_ADDR=address).post(LOGIN, {"username": user.email, "password": f"wrong-{n}"})
        assert response.status_code == 200
    client = Client(REMOTE_ADDR="203.0.113.3")
    refused = client.post(LOGIN, {"username": user.email.upper(), "password": PASSWORD})
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not held back by it.
    other = CreatorProfileFactory().user
    assert (
        Client(REMOTE_ADDR="203.0.113.3").post(LOGIN, {"username": other.email, "password": PASSWORD}).status_code
        == 302
    )


def test_sign_in_is_throttled_per_client_address(settings):
    settings.ACCOUNTS_SIGNIN_PER_IP_PER_MINUTE = 3
    client = Client(REMOTE_ADDR="198.51.100.7")
    for n in range(3):
        assert client.post(LOGIN, {"username": f"guess{n}@example.com", "password": "x"}).status_code == 200
    user = CreatorProfileFactory().user
    assert client.post(LOGIN, {"username": user.email, "password": PASSWORD}).status_code == 429
    assert (
        Client(REMOTE_ADDR="198.51.100.8").post(LOGIN, {"username": user.email, "password": PASSWORD}).status_code
        == 302
    )


def test_signing_out_needs_a_post():
    client = Client()
    client.force_login(UserFactory())
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


# --- Password reset ----------------------------------------------------------------------------


def test_password_reset_end_to_end():
    user = UserFactory(email="forgetful@example.com")
    client = Client()

    response = client.post(RESET, {"email": "Forgetful@Example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["forgetful@example.com"]
    assert message.subject == "Reset your ValueTok password"
    link = path_of(link_in(message))

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_password_url = form_page.redirect_chain[-1][0]
    assert "new_password1" in form_page.content.decode()
    weak = client.post(set_password_url, {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 200
    assert 'id="id_new_password2_error"' in weak.content.decode() or 'id="id_new_password1_error"' in (
        weak.content.decode()
    )

    done = client.post(set_password_url, {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == reverse("password_reset_complete")
    assert client.get(done["Location"]).status_code == 200

    user.refresh_from_db()
    assert user.check_password(GOOD_PASSWORD)
    assert Client().post(LOGIN, {"username": user.email, "password": GOOD_PASSWORD}).status_code == 302
    assert Client().post(LOGIN, {"username": user.email, "password": PASSWORD}).status_code == 200
    # The link worked once.
    assert "not valid" in Client().get(link, follow=True).content.decode()


def test_a_reset_for_an_unknown_address_sends_nothing_and_answers_the_same():
    response = Client().post(RESET, {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_completed_reset_also_verifies_a_pending_sign_up(commit):
    sign_up(commit)
    mail.outbox.clear()
    client = Client()
    client.post(RESET, {"email": "ann.maker@example.com"})
    form_page = client.get(path_of(link_in(mail.outbox[0])), follow=True)
    client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "x" + GOOD_PASSWORD, "new_password2": "x" + GOOD_PASSWORD}
    )

    assert EmailVerification.objects.get().verified_at is not None
    assert (
        Client().post(LOGIN, {"username": "ann.maker@example.com", "password": "x" + GOOD_PASSWORD}).status_code == 302
    )


def test_the_link_helper_points_at_the_verify_page():
    user = UserFactory()
    link = email_verification_link(user=user, site_url="https://valuetok.example")
    assert link.startswith("https://valuetok.example/accounts/verify/")


def test_every_problem_of_a_sign_up_shows_at_once(commit):
    response = sign_up(
        commit, email="broken", handle="Bad Handle", password="123", password_confirm="124", country="zz"
    )
    errors = response.context["form"].errors
    assert set(errors) == {"email", "handle", "password", "password_confirm", "country"}
    assert_nothing_stored()


def test_sign_in_errors_are_announced_and_tied_to_the_form():
    html = Client().post(LOGIN, {"username": "", "password": ""}).content.decode()
    assert 'class="error-summary" role="alert"' in html
    assert 'id="id_username_error"' in html
    assert 'aria-describedby="id_username_error"' in html


class RefusingMailServer(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


def test_a_mail_server_that_is_down_does_not_lose_the_sign_up(commit, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingMailServer"
    response = sign_up(commit)
    assert response.status_code == 302
    assert EmailVerification.objects.filter(user__email="ann.maker@example.com", verified_at__isnull=True).exists()


# --- Never-verified sign-ups are pruned --------------------------------------------------------


def _signed_up(email: str, handle: str, *, days_ago: int) -> User:
    user = creator_signup(email=email, password="a long pass phrase 42", handle=handle, display_name="X", country="GB")
    EmailVerification.objects.filter(user=user).update(created_at=timezone.now() - timedelta(days=days_ago))
    return user


def test_never_verified_sign_ups_are_pruned_after_the_grace_period_and_free_the_address(settings, commit):
    settings.ACCOUNTS_UNVERIFIED_MAX_AGE_DAYS = 30
    old = _signed_up("old@example.com", "old_one", days_ago=31)
    recent = _signed_up("recent@example.com", "recent_one", days_ago=29)
    verified = _signed_up("done@example.com", "done_one", days_ago=60)
    EmailVerification.objects.filter(user=verified).update(verified_at=timezone.now())
    with_video = _signed_up("video@example.com", "video_one", days_ago=60)
    VideoFactory(creator=with_video.creator_profile)

    assert unverified_signups_prune() == 1
    assert not User.objects.filter(pk=old.pk).exists()
    assert not CreatorProfile.objects.filter(handle="old_one").exists()
    assert set(User.objects.filter(pk__in=[recent.pk, verified.pk, with_video.pk]).values_list("pk", flat=True)) == {
        recent.pk,
        verified.pk,
        with_video.pk,
    }
    assert unverified_signups_prune() == 0  # twice: nothing more
    # The address and the handle can be signed up again.
    assert sign_up(commit, email="old@example.com", handle="old_one").status_code == 302


def test_accounts_without_a_sign_up_are_never_pruned(settings):
    settings.ACCOUNTS_UNVERIFIED_MAX_AGE_DAYS = 0
    staff_made = CreatorProfileFactory().user  # no EmailVerification row: made by staff or the seed
    assert unverified_signups_prune(older_than=timedelta(0)) == 0
    assert User.objects.filter(pk=staff_made.pk).exists()
