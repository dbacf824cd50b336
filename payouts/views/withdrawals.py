"""Creator pages: request a withdrawal (balances and a form) and the withdrawal history.

The form carries a one-time idempotency key made when the page is shown, so a double click or a
resubmitted page asks for the same withdrawal once, not twice.
"""

import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from compliance.selectors import kyc_status_for_user
from creators.access import creator_required
from payouts.selectors import owner_balances, withdrawals_for_creator
from payouts.withdrawals import WithdrawalError, withdrawal_request

HISTORY_PAGE_SIZE = 25
# What a refused request answers with (the same codes the API maps).
PAGE_STATUS = {"invalid_withdrawal": 400, "kyc_required": 403, "idempotency_key_reused": 409}


def usd(cents: int) -> str:
    """Cents as "1,234.56 USD" (integer arithmetic: no float ever touches money)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return f"{sign}{whole:,}.{part:02d} USD"


def _balance_rows(balances) -> list[tuple[str, str]]:
    return [
        ("Available", usd(balances.available_cents)),
        ("Held", usd(balances.held_cents)),
        ("Safety reserve", usd(balances.reserve_cents)),
        ("In transit", usd(balances.in_transit_cents)),
    ]


def _with_amounts(withdrawals):
    rows = list(withdrawals)
    for row in rows:
        row.amount_display = usd(row.amount_cents)
    return rows


class WithdrawalForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount (USD)", min_value=0, max_digits=12, decimal_places=2,
        help_text="Dollars and cents, e.g. 25.00",
    )  # fmt: skip
    payee_name = forms.CharField(
        label="Payee name", max_length=200, help_text="The name on the receiving bank account."
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        cents = int(amount * 100)
        minimum = settings.PAYOUTS_WITHDRAWAL_MIN_CENTS
        if cents < minimum:
            raise forms.ValidationError(f"The smallest withdrawal is {usd(minimum)}.")
        return cents


def _page(request: HttpRequest, form: WithdrawalForm, status: int = 200) -> HttpResponse:
    kyc = kyc_status_for_user(user=request.user)
    context = {
        "balance_rows": _balance_rows(owner_balances(user=request.user)),
        "kyc": kyc,
        "kyc_ok": kyc.level >= settings.PAYOUTS_MIN_KYC_LEVEL and kyc.status == "approved",
        "min_kyc_level": settings.PAYOUTS_MIN_KYC_LEVEL,
        "form": form,
        "minimum": usd(settings.PAYOUTS_WITHDRAWAL_MIN_CENTS),
        "recent": _with_amounts(withdrawals_for_creator(user=request.user)[:5]),
    }
    return render(request, "payouts/withdraw.html", context, status=status)


@creator_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request, WithdrawalForm(initial={"idempotency_key": uuid.uuid4()}))
    form = WithdrawalForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    data = form.cleaned_data
    try:
        withdrawal = withdrawal_request(
            creator=request.user, amount_cents=data["amount"], payee_name=data["payee_name"],
            idempotency_key=str(data["idempotency_key"]),
        )  # fmt: skip
    except WithdrawalError as exc:
        form.add_error(None, str(exc))
        # A fresh key: the refused request stored nothing, the corrected one is a new request.
        form.data = form.data.copy()
        form.data["idempotency_key"] = str(uuid.uuid4())
        return _page(request, form, status=PAGE_STATUS.get(exc.code, 422))
    if withdrawal.status == withdrawal.Status.REVIEW:
        messages.info(request, f"Your withdrawal of {usd(withdrawal.amount_cents)} was received and "
                               "needs a routine check by our team before it is paid.")  # fmt: skip
    else:
        messages.success(request, f"Your withdrawal of {usd(withdrawal.amount_cents)} was requested; "
                                  "Finance pays it after approval.")  # fmt: skip
    return redirect("payouts:withdrawals")


@creator_required
@require_http_methods(["GET"])
def withdrawal_history(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(withdrawals_for_creator(user=request.user), HISTORY_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {"page": page, "rows": _with_amounts(page.object_list),
               "balance_rows": _balance_rows(owner_balances(user=request.user))}  # fmt: skip
    return render(request, "payouts/withdrawals.html", context)
