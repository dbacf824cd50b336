"""Creator-facing payout pages (balances, statements, withdrawals, trends)."""

from django.urls import path, re_path

from payouts.views import statements as statement_views
from payouts.views import summary as summary_views
from payouts.views import trends as trend_views
from payouts.views import withdrawals as withdrawal_views

app_name = "payouts"
urlpatterns: list = [
    # --- Withdrawals (ledger) ---
    path("withdraw/", withdrawal_views.withdraw, name="withdraw"),
    path("withdrawals/", withdrawal_views.withdrawal_history, name="withdrawals"),
    # --- Summary, statements, trends (bonuses) ---
    path("", summary_views.summary, name="summary"),
    path("statements/", statement_views.statement_list, name="statements"),
    re_path(r"^statements/(?P<month>[0-9]{4}-[0-9]{2})/$", statement_views.statement_detail, name="statement"),
    re_path(r"^statements/(?P<month>[0-9]{4}-[0-9]{2})\.csv$", statement_views.statement_csv, name="statement-csv"),
    path("trends/", trend_views.trends, name="trends"),
]
