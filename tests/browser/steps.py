"""Steps the journeys share: people to sign in as, and signing in through the real forms."""

import re

from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from creators.models import CreatorProfile, User
from creators.roles import TRUST_AND_SAFETY
from tests.factories import PASSWORD, CreatorProfileFactory, UserFactory


def creator_make(*, email: str = "maya@example.com", handle: str = "maya_cooks") -> CreatorProfile:
    """A creator with a verified, active account (the signup journey makes one the long way)."""
    user = UserFactory(email=email, first_name="Maya", last_name="Okafor")
    return CreatorProfileFactory(user=user, handle=handle, display_name="Maya Okafor")


def moderator_make(*, email: str = "tns@valuetok.test") -> User:
    """Staff in the Trust & Safety group (the test needs the ``staff_groups`` fixture: the group must exist)."""
    user = UserFactory(email=email, first_name="Tess", last_name="Reviewer", is_staff=True)
    user.groups.add(Group.objects.get(name=TRUST_AND_SAFETY))
    return user


def sign_in(page: Page, *, path: str, email: str, password: str = PASSWORD) -> None:
    """Open ``path`` signed out, get sent to the sign-in page, sign in, and land back on ``path``."""
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=" + re.escape(path)))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def admin_sign_in(page: Page, *, email: str, password: str = PASSWORD) -> None:
    page.goto("/admin/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Trust & Safety and Finance")).to_be_visible()
