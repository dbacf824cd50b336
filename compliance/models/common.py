"""What every compliance area shares: an append-only audit trail of decisions and staff actions."""

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One change to a compliance object, by a person or by the system; never edited or deleted.

    ``subject`` names the object as "<app_label>.<model>:<pk>" so that one trail covers KYC cases,
    AML cases, alerts and sanctions loads alike; ``before`` and ``after`` hold the changed fields.
    """

    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="Empty when the system acted (a rule, a task, a command).",
    )  # fmt: skip
    action = models.CharField(max_length=64)
    subject = models.CharField(max_length=128, db_index=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.subject}"
