"""What people do on ValueTok, in a real browser (Chromium) against a live server on PostgreSQL.

Each step asserts what the person sees, and leaves a screenshot (see tests/browser/conftest.py).
"""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

from compliance.models import KycSubmission
from compliance.screening import screening_index_forget
from creators.models import CreatorProfile, Video
from integrity.eis.config import CURRENT
from integrity.models import VideoIntegrity
from moderation.models import Appeal, Evaluation, Flag
from payouts.ledger import account_for, entry_post
from payouts.models import AccountKind, Withdrawal
from tests.browser.steps import admin_sign_in, creator_make, moderator_make, sign_in
from tests.compliance.kyc_support import JPEG_BYTES, mrz_td3, sanctions_list_load
from tests.factories import EngagementWindowFactory, FlagFactory
from tests.payouts.conftest import assert_ledger_invariant

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    # The live server (another thread, its own connection) needs committed data.
    pytest.mark.django_db(transaction=True),
]

SPEECH_CLIP = Path(__file__).parents[1] / "moderation" / "media" / "speech_hello.mp4"
# Transcribing and scoring a two-second clip on a busy two-core machine, models loaded at worker start.
EVALUATION_TIMEOUT_MS = 120_000
NEW_PASSWORD = "plum-cake-at-dawn-42"


def earnings_credit(user, cents: int) -> None:
    """Revenue credited to the creator's available balance, as a payout run's entry does it."""
    available = account_for(kind=AccountKind.CREATOR_AVAILABLE, owner=user)
    legs = [(account_for(kind="external"), -cents), (available, cents)]
    entry_post(kind="revenue", legs=legs, idempotency_key=f"browser-earnings:{user.pk}")


# --- Staff: the flag review queue and an appeal ----------------------------------------------------------
def test_staff_review_flags_and_resolve_the_creators_appeal_and_the_creator_sees_the_outcome(
    page, other_context, staff_groups, shot
):
    creator = creator_make()
    dismissable, confirmable = (
        FlagFactory(
            evaluation__video__creator=creator,
            evaluation__video__title=title,
            evaluation__summary="Quality 39/100, below the review line of 50: hateful speech at 0:03.",
        )
        for title in ("Market day vlog", "Rant about the neighbours")
    )
    moderator = moderator_make()
    staff = other_context.new_page()

    # Trust & Safety signs in to admin and opens the review queue: both open flags are listed.
    admin_sign_in(staff, email=moderator.email)
    shot(staff, "01-staff-admin-home")
    staff.get_by_role("link", name="Flags", exact=True).click()
    expect(staff.get_by_role("heading", name=re.compile("Select flag"))).to_be_visible()
    queue = staff.locator("#result_list")
    expect(queue.get_by_text("Market day vlog")).to_be_visible()
    expect(queue.get_by_text("Rant about the neighbours")).to_be_visible()
    shot(staff, "02-staff-flag-queue")

    # Dismiss one through the bulk action: it asks for a reason first.
    row = queue.locator("tr", has_text="Market day vlog")
    row.get_by_role("checkbox").check()
    staff.locator("select[name=action]").select_option("dismiss_selected")
    staff.get_by_role("button", name="Go").click()
    expect(staff.get_by_role("heading", name="Dismiss: give a reason")).to_be_visible()
    staff.get_by_label("Reason").fill("Cooking commentary; no group is targeted.")
    shot(staff, "03-staff-dismiss-reason")
    staff.get_by_role("button", name="Dismiss").click()
    expect(staff.get_by_text("Dismiss: 1 flag(s).")).to_be_visible()
    expect(queue.locator("tr", has_text="Market day vlog")).to_contain_text("Dismissed")
    shot(staff, "04-staff-dismissed")

    # Open the other flag: scores and the transcript with the passage that drove them.
    queue.locator("tr", has_text="Rant about the neighbours").get_by_role("link").first.click()
    expect(staff.locator("mark", has_text="you people are vermin")).to_be_visible()
    expect(staff.get_by_text("38.8").first).to_be_visible()
    shot(staff, "05-staff-flag-detail")
    staff.get_by_role("link", name="Confirm", exact=True).click()
    expect(staff.get_by_role("heading", name="Confirm: give a reason")).to_be_visible()
    staff.get_by_role("button", name="Confirm").click()  # no reason: the browser refuses to send it
    assert staff.get_by_label("Reason").evaluate("el => el.validity.valueMissing")
    expect(staff.get_by_role("heading", name="Confirm: give a reason")).to_be_visible()
    assert Flag.objects.get(pk=confirmable.pk).status == "open"
    staff.get_by_label("Reason").fill("Dehumanising slur against a group at 0:03.")
    staff.get_by_role("button", name="Confirm").click()
    expect(staff.get_by_text("Confirm: 1 flag(s).")).to_be_visible()
    expect(staff.locator(".field-status")).to_contain_text("Confirmed")
    shot(staff, "06-staff-confirmed")
    assert Flag.objects.get(pk=dismissable.pk).status == "dismissed"
    assert Flag.objects.get(pk=confirmable.pk).status == "confirmed"

    # The creator sees the confirmed flag among their flags and appeals it.
    sign_in(page, path="/moderation/flags/", email=creator.user.email)
    flags = page.get_by_role("table")
    expect(flags.locator("tr", has_text="Rant about the neighbours")).to_contain_text("Confirmed")
    expect(flags.locator("tr", has_text="Market day vlog")).to_contain_text("Dismissed")
    shot(page, "07-creator-my-flags")
    page.get_by_role("link", name="Rant about the neighbours").click()
    expect(page.get_by_role("heading", name=re.compile("Flag on"))).to_contain_text("Rant about the neighbours")
    page.get_by_label("Why is this flag wrong?").fill("too short")
    page.get_by_role("button", name="Send appeal").click()
    expect(page.get_by_role("alert")).to_contain_text("at least 10 characters")
    assert not Appeal.objects.exists()
    page.get_by_label("Why is this flag wrong?").fill(
        "I was quoting a villain from the book I review; the clip says so right after."
    )
    shot(page, "08-creator-appeal-form")
    page.get_by_role("button", name="Send appeal").click()
    expect(page.get_by_role("status")).to_contain_text("Your appeal was sent")
    expect(page.get_by_text("Outcome: Waiting for review")).to_be_visible()
    shot(page, "09-creator-appeal-sent")

    # Trust & Safety finds the appeal and overturns it, with a reason.
    staff.get_by_role("link", name="Appeals", exact=True).click()
    appeals = staff.locator("#result_list")
    expect(appeals).to_contain_text("Waiting for review")
    appeals.locator("tbody tr").first.get_by_role("link").first.click()
    expect(staff.get_by_text("I was quoting a villain")).to_be_visible()
    shot(staff, "10-staff-appeal")
    staff.get_by_role("link", name="Overturn", exact=True).click()
    staff.get_by_label("Reason").fill("Context at 0:10 shows a quotation, not the creator's view.")
    staff.get_by_role("button", name="Overturn").click()
    expect(staff.get_by_text("Overturn: 1 appeal(s).")).to_be_visible()
    shot(staff, "11-staff-appeal-overturned")

    # The creator sees the outcome and its reason on the flag page.
    page.reload()
    expect(page.get_by_text("Outcome: Overturned: the flag was lifted")).to_be_visible()
    expect(page.get_by_text("Reason given: Context at 0:10 shows a quotation")).to_be_visible()
    expect(page.locator("dl.stats")).to_contain_text("Overturned on appeal")
    shot(page, "12-creator-sees-outcome")
    assert Flag.objects.get(pk=confirmable.pk).status == "overturned"


# --- Creator: identity verification (KYC), then a withdrawal -------------------------------------------
@pytest.fixture
def sanctions_list():
    """The test sanctions list, loaded as `make seed` loads the real one (without it nothing is approved)."""
    screening_index_forget()
    sanctions_list_load()
    yield
    screening_index_forget()  # the flush at teardown empties the list: no cached index may outlive it


def test_a_creator_verifies_their_identity_then_requests_a_withdrawal(page, private_storage, sanctions_list, shot):
    creator = creator_make()
    earnings_credit(creator.user, 12_345)

    sign_in(page, path="/compliance/kyc/", email=creator.user.email)
    expect(page.locator("#kyc-level")).to_have_text("0")
    form = page.locator("#kyc-form")
    expect(form.get_by_label("Given names")).to_have_value("Maya")  # from the account
    shot(page, "01-kyc-form")

    # Sent without a document: refused with the reasons by the fields, nothing stored.
    form.get_by_role("button", name="Submit for verification").click()
    expect(page.locator("#kyc-form-errors")).to_be_visible()
    expect(page.locator(".field-invalid").first).to_be_visible()
    shot(page, "02-kyc-refused")
    assert not KycSubmission.objects.exists()

    form.get_by_label("Given names").fill("Maya")
    form.get_by_label("Surname").fill("Okafor")
    form.get_by_label("Date of birth").fill("1990-01-15")
    form.get_by_label("Sex (optional)").select_option("F")
    form.get_by_label("Nationality").fill("GB")
    form.get_by_label(re.compile(r"^Address:?$")).fill("1 Test Street")
    form.get_by_label("Town or city").fill("London")
    form.get_by_label("Postal code (optional)").fill("N1 9GU")
    form.get_by_label("Country of address").fill("GB")
    form.get_by_label("Phone number").fill("+447400123456")
    form.get_by_label("Email").fill(creator.user.email)
    form.get_by_label("Document type").select_option("passport")
    form.get_by_label("Document number").fill("123456789")
    form.get_by_label("Issuing country").fill("GB")
    form.get_by_label("Issue date (optional)").fill("2021-06-01")
    form.get_by_label("Expiry date").fill("2031-06-01")
    form.get_by_label("Machine-readable zone (optional)").fill(mrz_td3(surname="OKAFOR", given="MAYA"))
    form.get_by_label("Photo or scan of the document").set_input_files(
        {"name": "passport.jpg", "mimeType": "image/jpeg", "buffer": JPEG_BYTES}
    )
    shot(page, "03-kyc-filled")
    form.get_by_role("button", name="Submit for verification").click()

    # The outcome, with every check and its reason.
    expect(page.get_by_role("status").first).to_contain_text("Your identity is verified at level 2.")
    outcome = page.locator("#kyc-outcome")
    expect(outcome).to_have_attribute("data-status", "approved")
    expect(outcome).to_contain_text("Approved at level 2")
    expect(page.locator("#kyc-level")).to_have_text("2")
    checks = page.locator("#kyc-checks tbody tr")
    expect(checks.filter(has_text="Machine-readable zone: check digits")).to_contain_text("Pass")
    expect(checks.filter(has_text="Age")).to_contain_text("Pass")
    assert checks.count() >= 5
    assert set(checks.evaluate_all("rows => rows.map(r => r.dataset.result)")) == {"pass"}
    for reason in checks.locator("td:last-child").all_inner_texts():
        assert reason.strip(), "every check gives its reason"
    shot(page, "04-kyc-approved")

    # Now a withdrawal: more than the available balance is refused, then a fair one is listed.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Payouts").click()
    page.get_by_role("main").get_by_role("link", name="Withdraw", exact=True).click()
    expect(page).to_have_url(re.compile(r"/payouts/withdraw/$"))
    balances = page.get_by_label("Your balances")
    expect(balances).to_contain_text("123.45 USD")
    expect(page.get_by_role("alert")).to_have_count(0)  # verified: no KYC warning
    shot(page, "05-withdraw-page")
    page.get_by_label("Amount (USD)").fill("500.00")
    page.get_by_label("Payee name").fill("Maya Okafor")
    page.get_by_role("button", name="Request withdrawal").click()
    expect(page.get_by_role("alert").first).to_contain_text("more than your available balance")
    shot(page, "06-withdraw-refused")
    assert not Withdrawal.objects.exists()

    page.get_by_label("Amount (USD)").fill("100.00")
    page.get_by_label("Payee name").fill("Maya Okafor")
    page.get_by_role("button", name="Request withdrawal").click()
    expect(page).to_have_url(re.compile(r"/payouts/withdrawals/$"))
    expect(page.get_by_role("status")).to_contain_text("100.00 USD")
    row = page.get_by_role("table").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("100.00 USD")
    expect(row).to_contain_text("Maya Okafor")
    expect(page.get_by_label("Your balances")).to_contain_text("23.45 USD")
    shot(page, "07-withdrawal-listed")
    assert Withdrawal.objects.get().amount_cents == 10_000
    assert_ledger_invariant()


# --- Creator: upload a speech clip, watch its evaluation, open its EIS chart -----------------------------
def windows_score(video) -> None:
    """Three scored days for ``video``, as the integrity pass stores them (components with reasons)."""
    days = [(18, 91.5, "high", 95.0, "likes from 212 accounts on 198 devices"),
            (19, 84.0, "high", 80.0, "likes from 150 accounts on 120 devices"),
            (20, 58.0, "medium", 41.0, "likes came from 40 accounts on 3 devices")]  # fmt: skip
    VideoIntegrity.objects.create(
        video=video, engagement_integrity_score=74.2, band="medium", scoring_version=CURRENT.version, windows=3,
        updated_at=datetime(2026, 11, 21, 0, 20, tzinfo=UTC),
    )  # fmt: skip
    for day, eis, band, likes, reason in days:
        EngagementWindowFactory(
            video=video,
            window_start=datetime(2026, 11, day, tzinfo=UTC),
            engagement_integrity_score=eis,
            band=band,
            valid_views=1_000 + day,
            valid_likes=120,
            valid_comments=15,
            valid_shares=4,
            components={
                "authentic_engagement": {"score": 96.0, "reason": "96% of views from distinct, ordinary devices"},
                "like_integrity": {"score": likes, "reason": reason},
            },
        )


# Collects every value the stage list's data-status takes, and marks the document: a reload or a
# navigation loses the mark, which is how the test knows the page never reloaded.
WATCH_STAGES = """() => {
  window.__sameDocument = true;
  window.__statuses = [];
  const list = document.getElementById("evaluation-stages");
  new MutationObserver(() => {
    const status = list.getAttribute("data-status");
    if (window.__statuses.at(-1) !== status) window.__statuses.push(status);
  }).observe(list, {attributes: true, attributeFilter: ["data-status"]});
}"""


@pytest.mark.redis  # the broker between the live server and the worker
def test_a_creator_uploads_a_speech_clip_and_watches_the_evaluation_finish_live(
    page, no_script_page, celery_worker, shot
):
    creator = creator_make()

    sign_in(page, path="/videos/upload/", email=creator.user.email)
    form = page.locator("#upload-form")
    expect(form).to_be_visible()
    form.get_by_label("Title").fill("Hello from my kitchen")
    form.get_by_label("Hashtags").fill("cooking, #hello")
    form.get_by_label("Video or audio file").set_input_files(SPEECH_CLIP)
    shot(page, "01-upload-form")
    page.evaluate(WATCH_STAGES)

    page.get_by_role("button", name="Upload and evaluate").click()
    progress = page.locator("#upload-progress")
    expect(progress).to_be_visible()
    expect(progress).to_have_attribute("value", "100")
    expect(page.locator("#upload-progress-text")).to_contain_text("100% uploaded")
    shot(page, "02-uploaded-evaluating")

    # A real worker takes the task from Redis; the page follows the stages by itself.
    stages = page.locator("#evaluation-stages")
    expect(stages).to_have_attribute("data-status", "done", timeout=EVALUATION_TIMEOUT_MS)
    expect(page.get_by_role("status").filter(has_text="The evaluation is done.")).to_be_visible()
    expect(stages.locator('li[data-stage="done"]')).to_contain_text("(complete)")
    expect(page.locator("#evaluation-score")).to_have_text(re.compile(r"^\d+(\.\d+)?$"))
    analytics_link = page.locator("#video-analytics-link")
    expect(analytics_link).to_be_visible()
    shot(page, "03-evaluation-done")

    assert page.evaluate("window.__sameDocument") is True, "the page reloaded or navigated"
    seen = page.evaluate("window.__statuses")
    assert seen[-1] == "done"
    assert len(seen) >= 2, f"the page went straight to done without showing the stages: {seen}"
    video = Video.objects.get(creator=creator)
    assert video.title == "Hello from my kitchen"
    evaluation = Evaluation.objects.get(video=video)
    assert evaluation.status == "done"
    assert "hello" in evaluation.transcript.lower()
    expect(analytics_link).to_have_attribute("href", f"/videos/{video.public_id}/")

    # Days later the nightly integrity pass has scored the video's engagement: its analytics page
    # shows the moderation result and the EIS per day, drawn by Plotly from our own static files.
    windows_score(video)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    analytics_link.click()
    expect(page).to_have_url(re.compile(f"/videos/{video.public_id}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello from my kitchen")
    expect(page.locator("#transcript")).to_contain_text(re.compile("welcome to my cooking channel", re.IGNORECASE))
    chart = page.locator("#eis-chart")
    expect(chart).to_have_attribute("data-chart-state", "ready")
    expect(chart.locator("svg.main-svg").first).to_be_visible()
    expect(chart.locator(".scatterlayer .trace").first).to_be_attached()
    expect(page.locator("#video-eis")).to_contain_text("74.2")
    expect(page.locator("#eis-summary")).to_contain_text("Latest EIS 58.0")
    why = page.get_by_role("list", name=re.compile("Components of the EIS on 20 Nov 2026"))
    expect(why).to_contain_text("Likes came from 40 accounts on 3 devices")
    chart.scroll_into_view_if_needed()
    shot(page, "04-video-analytics-eis-chart")
    origin = page.url.split("/videos/")[0]
    assert any("/static/vendor/plotly/" in url for url in requests), requests
    assert all(url.startswith((origin, "data:")) for url in requests), f"requests outside the site: {requests}"

    # Without JavaScript the same form posts normally and the status page refreshes itself until done.
    sign_in(no_script_page, path="/videos/upload/", email=creator.user.email)
    no_script_page.get_by_label("Title").fill("Hello again, without scripts")
    no_script_page.get_by_label("Video or audio file").set_input_files(SPEECH_CLIP)
    no_script_page.get_by_role("button", name="Upload and evaluate").click()
    expect(no_script_page).to_have_url(re.compile(r"/videos/[0-9a-f-]{36}/status/$"))
    expect(no_script_page.get_by_role("heading", level=1)).to_contain_text("Hello again, without scripts")
    shot(no_script_page, "05-no-script-status-page")
    expect(no_script_page.locator("#evaluation-stages")).to_have_attribute(
        "data-status", "done", timeout=EVALUATION_TIMEOUT_MS
    )
    expect(no_script_page.locator("#video-analytics-link")).to_be_visible()
    shot(no_script_page, "06-no-script-done")
    assert Evaluation.objects.filter(video__creator=creator, status="done").count() == 2


# --- Creator: sign up, verify the address, sign in -------------------------------------------------------
def test_a_new_creator_signs_up_verifies_the_email_and_signs_in_to_the_dashboard(page, shot):
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Create your creator account")).to_be_visible()
    page.get_by_label("Email").fill("amara@example.com")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password again").fill(NEW_PASSWORD)
    page.get_by_label("Display name").fill("Amara Bakes")
    page.get_by_label("Handle").fill("amara_bakes")
    page.get_by_label("Country").fill("GB")
    shot(page, "01-signup-form")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("amara@example.com")
    shot(page, "02-check-your-email")

    # Not verified yet: the sign-in form says why it refuses.
    page.get_by_role("link", name="Go to sign in").click()
    page.get_by_label("Email").fill("amara@example.com")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not verified yet")
    shot(page, "03-sign-in-refused-unverified")

    # The verification mail (the live server runs in this process: Django's locmem outbox).
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["amara@example.com"]
    link = re.search(r"https?://\S+/accounts/verify/[^/\s]+/", message.body)
    assert link, message.body
    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="Verify your email")).to_be_visible()
    shot(page, "04-verify-page")
    page.get_by_role("button", name="Verify my email and sign in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("status").first).to_contain_text("your email address is verified")
    shot(page, "05-verified-dashboard")

    # Sign out and back in with the new password: the dashboard again.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, path="/dashboard/", email="amara@example.com", password=NEW_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard for @amara_bakes")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard")).to_have_attribute(
        "aria-current", "page"
    )
    shot(page, "06-dashboard")
    assert CreatorProfile.objects.get(handle="amara_bakes").user.email == "amara@example.com"


# --- Everyone: keyboard, phone-sized screens, landmarks and labels ---------------------------------------
# A few of axe's rules, in the page: one <main>, one <h1>, a language, a title, every form control
# labelled (label, wrapping label, aria-label or aria-labelledby), every image with an alt text.
A11Y_CHECKS = """() => {
  const problems = [];
  const where = (el) => el.outerHTML.slice(0, 120);
  if (document.querySelectorAll("main").length !== 1) problems.push("not exactly one <main>");
  if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one <h1>");
  if (!document.documentElement.lang) problems.push("<html> has no lang");
  if (!document.title.trim()) problems.push("no <title>");
  const controls = document.querySelectorAll(
    "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset]), select, textarea");
  for (const el of controls) {
    const labelled = (el.labels && el.labels.length) || el.getAttribute("aria-label")
      || el.getAttribute("aria-labelledby") || el.title;
    if (!labelled) problems.push("unlabelled control: " + where(el));
  }
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push("image without alt: " + where(img));
  }
  for (const el of document.querySelectorAll("a[href], button")) {
    if (el.closest("[hidden], .js-plotly-plot")) continue;
    const name = (el.textContent || "").trim() || el.getAttribute("aria-label") || el.title
      || [...el.querySelectorAll("img[alt]")].map((i) => i.alt).join("");
    if (!name) problems.push("link or button without a name: " + where(el));
  }
  return problems;
}"""
# How far the page scrolls sideways (0 when it does not), and the innermost elements that stick out.
HORIZONTAL_OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const px = document.documentElement.scrollWidth - width;
  if (px <= 0) return 0;
  const clipped = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;  // scrolls or clips inside its box
    }
    return false;
  };
  const out = [...document.body.querySelectorAll("*")].filter(
    (el) => el.getBoundingClientRect().right > width + 1 && !clipped(el));
  const innermost = out.filter((el) => !out.some((other) => other !== el && el.contains(other)));
  return px + "px: " + innermost.slice(0, 4).map((el) => el.outerHTML.slice(0, 90)).join(" | ");
}"""
# Text that does not fit its box: cut off (overflow hidden or clip), or sticking out of it into what is
# beside it (a badge wider than its card). Text elements only, laid out in the flow.
CLIPPED = """() => {
  const found = [];
  for (const el of document.body.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    if (el.offsetParent === null || ["absolute", "fixed"].includes(style.position)) continue;
    if (el.closest(".js-plotly-plot, .table-scroll, .table-wrap, .checks-wrap, svg")) continue;
    if (["hidden", "clip"].includes(style.overflowX) && el.clientWidth > 1 && el.scrollWidth > el.clientWidth + 1) {
      found.push("cut off: " + el.outerHTML.slice(0, 90));  // (1px wide: text for screen readers only)
    }
    if (el.children.length === 0 && el.textContent.trim()) {
      let box = el.parentElement;  // the nearest box a person sees: a border or a background
      while (box && box !== document.body) {
        const boxStyle = getComputedStyle(box);
        if (parseFloat(boxStyle.borderRightWidth) > 0 || boxStyle.backgroundColor !== "rgba(0, 0, 0, 0)") break;
        box = box.parentElement;
      }
      if (box && box !== document.body && el.getBoundingClientRect().right > box.getBoundingClientRect().right + 1) {
        found.push("sticks out of its box: " + el.outerHTML.slice(0, 90));
      }
    }
  }
  return found;
}"""
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {text: (el.innerText || "").trim(), inNav: !!el.closest("nav[aria-label=Main]"),
          focusVisible: el.matches(":focus-visible"), outline: style.outlineStyle + " " + style.outlineWidth,
          onScreen: box.width > 0 && box.height > 0 && box.left >= 0 && box.right <= window.innerWidth};
}"""
CREATOR_PAGES = {
    "dashboard": "/dashboard/", "videos": "/videos/", "upload": "/videos/upload/", "video": "/videos/{video}/",
    "payouts": "/payouts/", "withdraw": "/payouts/withdraw/", "withdrawals": "/payouts/withdrawals/",
    "statements": "/payouts/statements/", "trends": "/payouts/trends/", "kyc": "/compliance/kyc/",
    "flags": "/moderation/flags/", "flag": "/moderation/flags/{flag}/", "api-tokens": "/accounts/tokens/",
}  # fmt: skip
SIGNED_OUT_PAGES = ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password-reset/"]


def test_pages_work_on_a_phone_by_keyboard_and_are_labelled_for_screen_readers(phone_page, shot):
    page = phone_page
    flag = FlagFactory(evaluation__video__title="Late-night ramen")
    creator = flag.creator
    windows_score(flag.video)

    problems, overflow, clipped = {}, {}, {}
    for n, path in enumerate(SIGNED_OUT_PAGES, start=1):
        page.goto(path)
        problems[path] = page.evaluate(A11Y_CHECKS)
        overflow[path] = page.evaluate(HORIZONTAL_OVERFLOW)
        clipped[path] = page.evaluate(CLIPPED)
        shot(page, f"{n:02d}-phone{path.rstrip('/').replace('/', '-') or '-home'}")

    sign_in(page, path="/dashboard/", email=creator.user.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"@{creator.handle}")
    expect(page.locator("#eis-trend-chart")).to_have_attribute("data-chart-state", "ready")
    assert page.evaluate(HORIZONTAL_OVERFLOW) == 0, "the dashboard scrolls sideways at 375px"
    shot(page, "10-phone-dashboard")

    # Keyboard: the first Tab shows the skip link; the nav's links follow, each with a visible focus ring.
    page.keyboard.press("Tab")
    first = page.evaluate(FOCUSED)
    assert first["text"] == "Skip to content", first
    assert first["onScreen"], first
    assert first["focusVisible"], first
    shot(page, "11-phone-skip-link-focused")
    nav = page.get_by_role("navigation", name="Main")
    nav_names = [name.strip() for name in nav.get_by_role("link").all_inner_texts()]
    reached = []
    for _ in range(len(nav_names) + 1):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["inNav"]:
            assert focused["focusVisible"], focused
            assert focused["outline"].startswith("solid"), focused
            assert focused["onScreen"], f"{focused['text']} is focused off screen"
            reached.append(focused["text"])
            if focused["text"] == "Payouts":
                shot(page, "12-phone-nav-focus")
    assert reached == nav_names
    # The skip link moves focus to the content.
    page.reload()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    for n, (name, template) in enumerate(CREATOR_PAGES.items(), start=20):
        path = template.format(video=flag.video.public_id, flag=flag.public_id)
        response = page.goto(path)
        assert response.status == 200, f"{path}: {response.status}"
        problems[path] = page.evaluate(A11Y_CHECKS)
        overflow[path] = page.evaluate(HORIZONTAL_OVERFLOW)
        clipped[path] = page.evaluate(CLIPPED)
        shot(page, f"{n:02d}-phone-{name}")
    unlabelled = {path: found for path, found in problems.items() if found}
    assert not unlabelled, f"landmarks, labels, alt texts: {unlabelled}"
    layout = {path: {"scrolls sideways": overflow[path], "text outside its box": clipped[path]} for path in overflow}
    broken = {path: found for path, found in layout.items() if any(found.values())}
    assert not broken, f"at 375px wide: {broken}"
