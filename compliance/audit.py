"""Writing the compliance audit trail: one function every area uses, so subjects read the same."""

from compliance.models import AuditEvent


def subject_of(instance=None, *, model=None, pk=None) -> str:
    """``"<app_label>.<model>:<pk>"`` for an instance, or for a model class and a primary key."""
    model = model or type(instance)
    pk = instance.pk if instance is not None else pk
    return f"{model._meta.app_label}.{model._meta.model_name}:{pk}"


def audit(*, actor, action: str, instance=None, subject: str = "", before: dict | None = None,
          after: dict | None = None, reason: str = "") -> AuditEvent:  # fmt: skip
    """Append one event to the trail about ``instance`` (or an already formatted ``subject``)."""
    return AuditEvent.objects.create(
        actor=actor, action=action, subject=subject or subject_of(instance), before=before or {}, after=after or {},
        reason=reason,
    )  # fmt: skip
