"""API tokens: the services, the Bearer authentication, the tokens page and the admin."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from creators.accounts.tokens import (
    MAX_ACTIVE_TOKENS_PER_USER,
    ApiTokenError,
    api_token_create,
    api_token_revoke,
)
from creators.models import ApiToken
from creators.roles import FINANCE, TRUST_AND_SAFETY
from tests.factories import CreatorProfileFactory, UserFactory, VideoFactory

pytestmark = pytest.mark.django_db

MINE = "/api/v1/videos/mine/"
CREATORS = "/api/v1/creators/"
TOKENS = "/accounts/tokens/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def creator():
    return CreatorProfileFactory(user__email="maker@example.com")


def bearer(key: str, keyword: str = "Bearer") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    return client


# --- Services -----------------------------------------------------------------------------------


def test_create_returns_the_key_and_stores_only_its_hash_and_prefix(creator):
    token, key = api_token_create(user=creator.user, name="upload script", created_by=creator.user)

    stored = ApiToken.objects.get(pk=token.pk)
    assert key.startswith("vt_")
    assert len(key) > 40
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert stored.prefix == key[:11]
    assert key not in {str(value) for value in stored.__dict__.values()}
    assert stored.created_by == creator.user
    assert stored.status == "active"


def test_two_tokens_never_share_a_key(creator):
    _, first = api_token_create(user=creator.user, name="one", created_by=None)
    _, second = api_token_create(user=creator.user, name="two", created_by=None)
    assert first != second


@pytest.mark.parametrize(
    ("name", "expires_in", "field"),
    [("   ", timedelta(days=1), "name"), ("x" * 101, None, "name"), ("ok", timedelta(minutes=-1), "expires_at")],
)
def test_bad_requests_are_refused_and_store_nothing(creator, name, expires_in, field):
    expires_at = timezone.now() + expires_in if expires_in is not None else None
    with pytest.raises(ApiTokenError) as raised:
        api_token_create(user=creator.user, name=name, created_by=None, expires_at=expires_at)
    assert raised.value.field == field
    assert not ApiToken.objects.exists()


def test_a_disabled_account_gets_no_token():
    user = UserFactory(is_active=False)
    with pytest.raises(ApiTokenError, match="disabled"):
        api_token_create(user=user, name="x", created_by=None)
    assert not ApiToken.objects.exists()


def test_an_account_holds_a_bounded_number_of_active_tokens(creator):
    for n in range(MAX_ACTIVE_TOKENS_PER_USER):
        api_token_create(user=creator.user, name=f"t{n}", created_by=None)
    with pytest.raises(ApiTokenError, match="at most"):
        api_token_create(user=creator.user, name="one too many", created_by=None)
    # Revoking one makes room again.
    api_token_revoke(token=ApiToken.objects.first(), by=creator.user)
    api_token_create(user=creator.user, name="replacement", created_by=None)
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == MAX_ACTIVE_TOKENS_PER_USER


def test_revoking_twice_keeps_the_first_revocation(creator):
    token, _ = api_token_create(user=creator.user, name="x", created_by=None)
    staff = UserFactory(is_staff=True)
    api_token_revoke(token=token, by=creator.user)
    first_at = token.revoked_at
    api_token_revoke(token=ApiToken.objects.get(pk=token.pk), by=staff)
    token.refresh_from_db()
    assert token.revoked_at == first_at
    assert token.revoked_by == creator.user


# --- Authentication ----------------------------------------------------------------------------


def test_a_bearer_key_authenticates_a_creator_on_the_api(creator):
    video = VideoFactory(creator=creator)
    VideoFactory()  # someone else's
    _, key = api_token_create(user=creator.user, name="x", created_by=creator.user)

    response = bearer(key).get(MINE)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(video.public_id)]


def test_the_old_token_keyword_works_too(creator):
    _, key = api_token_create(user=creator.user, name="x", created_by=None)
    assert bearer(key, keyword="Token").get(CREATORS).status_code == 200


def test_an_anonymous_api_call_gets_401_with_a_bearer_challenge():
    response = APIClient().get(CREATORS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("state", ["revoked", "expired", "unknown", "malformed", "disabled account"])
def test_a_key_that_cannot_be_used_gets_401(creator, state):
    token, key = api_token_create(
        user=creator.user, name="x", created_by=None, expires_at=timezone.now() + timedelta(days=1)
    )
    header = f"Bearer {key}"
    if state == "revoked":
        api_token_revoke(token=token, by=creator.user)
    elif state == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif state == "unknown":
        header = f"Bearer {key[:-4]}abcd"
    elif state == "malformed":
        header = f"Bearer {key} extra"
    else:
        type(creator.user).objects.filter(pk=creator.user.pk).update(is_active=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(CREATORS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    token.refresh_from_db()
    assert token.last_used_at is None


def test_last_used_is_written_at_most_once_a_minute(creator, django_assert_num_queries):
    token, key = api_token_create(user=creator.user, name="x", created_by=None)
    client = bearer(key)
    assert client.get(CREATORS).status_code == 200
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None

    assert client.get(CREATORS).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == first_use  # within the minute: no write

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - timedelta(minutes=2))
    assert client.get(CREATORS).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at > first_use - timedelta(minutes=2)


def test_the_schema_shows_a_bearer_scheme():
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schemes = response.json()["components"]["securitySchemes"]
    assert schemes["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "vt_<key>",
        "description": schemes["apiToken"]["description"],
    }
    assert "tokenAuth" not in schemes


# --- The tokens page ---------------------------------------------------------------------------


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get(TOKENS)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={TOKENS}"


def test_creating_a_token_on_the_page_shows_the_key_once(creator):
    client = signed_in(creator.user)

    response = client.post(TOKENS, {"name": "analytics export", "expires_in": "30"})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = re.search(r'value="(vt_[^"]+)"', response.content.decode()).group(1)
    token = ApiToken.objects.get(user=creator.user)
    assert token.name == "analytics export"
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    listing = client.get(TOKENS).content.decode()
    assert "analytics export" in listing
    assert token.prefix in listing
    assert key not in listing
    assert bearer(key).get(MINE).status_code == 200


def test_a_token_without_a_name_is_refused_with_the_error_tied_to_the_field(creator):
    response = signed_in(creator.user).post(TOKENS, {"name": "", "expires_in": "never"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_name_error"' in html
    assert re.search(r'<input[^>]*aria-describedby="id_name_helptext id_name_error"[^>]*id="id_name"', html) or (
        re.search(r'<input[^>]*id="id_name"[^>]*aria-describedby="id_name_helptext id_name_error"', html)
    )
    assert 'aria-invalid="true"' in html
    assert not ApiToken.objects.exists()


def test_an_unknown_expiry_choice_is_refused(creator):
    response = signed_in(creator.user).post(TOKENS, {"name": "x", "expires_in": "9999"})
    assert "Select a valid choice" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_signed_in_viewer_without_a_creator_profile_may_use_tokens():
    viewer = UserFactory()
    client = signed_in(viewer)
    assert client.get(TOKENS).status_code == 200
    assert client.post(TOKENS, {"name": "reader", "expires_in": "90"}).status_code == 200
    assert ApiToken.objects.filter(user=viewer).count() == 1


def test_revoking_on_the_page_stops_the_key(creator):
    token, key = api_token_create(user=creator.user, name="old laptop", created_by=creator.user)
    client = signed_in(creator.user)

    response = client.post(reverse("api-token-revoke", args=[token.public_id]), follow=True)

    assert response.status_code == 200
    assert "Revoked the token" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.revoked_by == creator.user
    assert bearer(key).get(MINE).status_code == 401
    assert ApiToken.objects.filter(pk=token.pk).exists()  # never deleted


def test_another_users_token_cannot_be_revoked(creator):
    token, _key = api_token_create(user=creator.user, name="mine", created_by=None)
    other = signed_in(CreatorProfileFactory().user)

    response = other.post(reverse("api-token-revoke", args=[token.public_id]))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "mine" not in other.get(TOKENS).content.decode()


def test_revoking_needs_a_post(creator):
    token, _ = api_token_create(user=creator.user, name="x", created_by=None)
    assert signed_in(creator.user).get(reverse("api-token-revoke", args=[token.public_id])).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_checks_csrf(creator):
    token, _ = api_token_create(user=creator.user, name="x", created_by=None)
    client = Client(enforce_csrf_checks=True)
    client.force_login(creator.user)
    assert client.post(reverse("api-token-revoke", args=[token.public_id])).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


# --- Admin -------------------------------------------------------------------------------------


def staff_of(group_name: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.mark.parametrize("group_name", [TRUST_AND_SAFETY, FINANCE])
def test_staff_groups_may_view_issue_and_revoke_tokens_but_not_delete(group_name):
    group = Group.objects.get(name=group_name)
    codenames = set(group.permissions.filter(content_type__model="apitoken").values_list("codename", flat=True))
    assert codenames == {"view_apitoken", "add_apitoken", "change_apitoken"}


def test_staff_issue_a_token_and_see_its_key_once(creator):
    staff = staff_of(TRUST_AND_SAFETY)
    client = signed_in(staff)

    response = client.post(
        reverse("admin:creators_apitoken_add"), {"user": creator.user.pk, "name": "partner feed"}, follow=True
    )

    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    key = re.search(r"(vt_[A-Za-z0-9_-]+)", " ".join(shown)).group(1)
    token = ApiToken.objects.get(user=creator.user)
    assert token.created_by == staff
    assert token.name == "partner feed"
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in client.get(reverse("admin:creators_apitoken_change", args=[token.pk])).content.decode()
    assert bearer(key).get(MINE).status_code == 200


def test_staff_cannot_issue_an_expired_token(creator):
    client = signed_in(staff_of(FINANCE))
    response = client.post(
        reverse("admin:creators_apitoken_add"),
        {"user": creator.user.pk, "name": "x", "expires_at_0": "2000-01-01", "expires_at_1": "00:00:00"},
    )
    assert response.status_code == 200
    assert "The expiry must be in the future." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_staff_revoke_with_the_action_and_cannot_delete(creator):
    token, key = api_token_create(user=creator.user, name="leaked", created_by=None)
    client = signed_in(staff_of(FINANCE))
    changelist = reverse("admin:creators_apitoken_changelist")

    response = client.post(changelist, {"action": "revoke_selected", "_selected_action": [token.pk]}, follow=True)

    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert bearer(key).get(MINE).status_code == 401
    assert client.get(reverse("admin:creators_apitoken_delete", args=[token.pk])).status_code == 403
    assert client.get(changelist, {"status": "revoked"}).status_code == 200


def test_staff_without_a_group_see_no_tokens():
    client = signed_in(UserFactory(is_staff=True))
    assert client.get(reverse("admin:creators_apitoken_changelist")).status_code == 403


def test_the_tokens_table_has_a_caption_and_headers(creator):
    api_token_create(user=creator.user, name="script", created_by=None)
    html = signed_in(creator.user).get(TOKENS).content.decode()
    assert "<caption" in html
    for header in ("Name", "Prefix", "Created", "Last used", "Expires", "Status"):
        assert f'<th scope="col">{header}</th>' in html
    assert '<th scope="row">script</th>' in html
    assert 'Revoke<span class="visually-hidden"> the token script</span>' in html


def test_the_admin_add_page_asks_only_for_owner_name_and_expiry():
    html = signed_in(staff_of(TRUST_AND_SAFETY)).get(reverse("admin:creators_apitoken_add")).content.decode()
    assert 'name="user"' in html
    assert 'name="name"' in html
    assert 'name="expires_at_0"' in html
    assert 'name="key_hash"' not in html
