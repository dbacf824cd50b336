import re

import pytest
from django.contrib.auth.models import Group

from creators.roles import FINANCE, TRUST_AND_SAFETY
from tests.factories import PASSWORD, CreatorProfileFactory, UserFactory, VideoFactory

pytestmark = pytest.mark.django_db


def test_landing_page_explains_the_product_and_offers_sign_in(client):
    VideoFactory.create_batch(2)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Engagement Integrity Score" in html
    assert 'href="/accounts/login/"' in html
    assert re.search(r"<dt>Published videos</dt><dd>2</dd>", html)


def test_sign_in_with_email_and_sign_out(client):
    user = UserFactory(email="ann@example.com")
    response = client.post("/accounts/login/", {"username": "ANN@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"  # a viewer has no dashboard: home
    page = client.get("/").content.decode()
    assert user.first_name in page
    assert "Sign out" in page
    assert client.post("/accounts/logout/").status_code == 302
    assert "Sign in" in client.get("/").content.decode()


def test_wrong_password_shows_an_error_and_signs_nobody_in(client):
    UserFactory(email="ann@example.com")
    response = client.post("/accounts/login/", {"username": "ann@example.com", "password": "nope"})
    assert response.status_code == 200
    assert "did not match" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_out_refuses_get(client):
    UserFactory(email="ann@example.com")
    client.login(username="ann@example.com", password=PASSWORD)
    assert client.get("/accounts/logout/").status_code == 405


@pytest.mark.parametrize("group", [TRUST_AND_SAFETY, FINANCE])
def test_staff_of_each_group_reach_the_admin(client, group):
    staff = UserFactory(is_staff=True)
    staff.groups.add(Group.objects.get(name=group))
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/creators/video/").status_code == 200


def test_creators_cannot_reach_the_admin(client):
    client.force_login(UserFactory())
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_finance_cannot_change_videos_but_trust_and_safety_can(client):
    video = VideoFactory()
    finance = UserFactory(is_staff=True)
    finance.groups.add(Group.objects.get(name=FINANCE))
    safety = UserFactory(is_staff=True)
    safety.groups.add(Group.objects.get(name=TRUST_AND_SAFETY))
    url = f"/admin/creators/video/{video.pk}/change/"
    client.force_login(finance)
    assert "Save" not in client.get(url).content.decode()
    client.force_login(safety)
    assert 'name="_save"' in client.get(url).content.decode()


def test_swagger_ui_is_served_from_our_own_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui-bundle.js" in s for s in sources)
    assert all(s.startswith("/") for s in sources), sources  # nothing from a CDN


def test_openapi_schema_describes_the_api(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/videos/" in schema["paths"]
    assert "/api/v1/creators/{handle}/" in schema["paths"]


def test_api_requires_authentication(client):
    assert client.get("/api/v1/").status_code == 401
    response = client.get("/api/v1/videos/")
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "detail": "Authentication credentials were not provided."}


def test_api_lists_published_videos_with_filters(client):
    shown = VideoFactory(title="Crispy tacos")
    VideoFactory(creator=shown.creator, title="Pending one", status="pending")
    VideoFactory(title="Someone else's")
    client.force_login(UserFactory())
    body = client.get("/api/v1/videos/", {"creator": shown.creator.handle}).json()
    assert [v["title"] for v in body["results"]] == ["Crispy tacos"]
    assert body["results"][0]["id"] == str(shown.public_id)
    detail = client.get(f"/api/v1/videos/{shown.public_id}/").json()
    assert detail["creator"] == shown.creator.handle


def test_api_rejects_a_malformed_filter_with_a_clear_error(client):
    client.force_login(UserFactory())
    response = client.get("/api/v1/videos/", {"created_after": "yesterday"})
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"] == {"created_after": ["Enter a valid date/time."]}


@pytest.mark.parametrize(("kind", "landing"), [("creator", "/dashboard/"), ("staff", "/admin/"), ("viewer", "/")])
def test_sign_in_lands_where_each_kind_of_account_works(client, kind, landing):
    user = CreatorProfileFactory().user if kind == "creator" else UserFactory(is_staff=kind == "staff")
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == landing
