"""Payouts API routes, included under /api/v1/ (each block added by the area that owns it)."""

from django.urls import re_path

from creators.api.views import TrendViewSet
from payouts.api.statements import StatementView
from payouts.api.withdrawals import BalanceView, WalletTopupView, WithdrawalListCreateView

urlpatterns: list = [
    # --- Ledger, withdrawals, wallet (the trailing slash is optional) ---
    re_path(r"^payouts/balance/?$", BalanceView.as_view(), name="payouts-balance"),
    re_path(r"^payouts/withdrawals/?$", WithdrawalListCreateView.as_view(), name="payouts-withdrawals"),
    re_path(r"^wallet/topups/?$", WalletTopupView.as_view(), name="wallet-topups"),
    # --- Statements and trends (bonuses) ---
    re_path(r"^payouts/statements/(?P<month>[0-9]{4}-[0-9]{2})/?$", StatementView.as_view(), name="payouts-statement"),
    re_path(r"^trends/?$", TrendViewSet.as_view({"get": "list", "post": "create"}), name="trend-list"),
    re_path(r"^trends/(?P<id>[0-9a-fA-F-]{32,36})/?$", TrendViewSet.as_view({"get": "retrieve"}), name="trend-detail"),
]
