# The AML models (gift requests, decisions, alerts, cases). Written by hand from
# `makemigrations --dry-run` while several compliance areas were built side by side; holds only
# that area's operations, and the staff groups' permissions on them.
import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import compliance.models.aml
from creators.roles import FINANCE, TRUST_AND_SAFETY, grant_group_permissions

GRANTS = {
    TRUST_AND_SAFETY: [
        "compliance.view_giftrequest",
        "compliance.view_amlalert",
        "compliance.view_amlcase",
        "compliance.change_amlcase",
        "compliance.view_casecomment",
        "compliance.add_casecomment",
        "compliance.view_caseattachment",
        "compliance.add_caseattachment",
    ],
    FINANCE: [
        "compliance.view_giftrequest",
        "compliance.view_amlalert",
        "compliance.view_amlcase",
        "compliance.view_casecomment",
        "compliance.view_caseattachment",
    ],
}


def grant_staff_permissions(apps, schema_editor):
    grant_group_permissions(apps, schema_editor, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0002_kyc"),
        ("creators", "0003_user_public_id"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AmlCase',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('status', models.CharField(choices=[('open', 'Open'), ('investigating', 'Investigating'), ('resolved', 'Resolved')], default='open', max_length=16)),
                ('opened_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('resolved_at', models.DateTimeField(blank=True, null=True)),
                ('resolution', models.CharField(blank=True, choices=[('false_positive', 'False positive: no laundering'), ('reported', 'Suspicious activity reported'), ('account_restricted', 'Account restricted'), ('other', 'Other (see reason)')], max_length=24)),
                ('resolution_reason', models.TextField(blank=True)),
                ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='aml_cases_assigned', to=settings.AUTH_USER_MODEL)),
                ('resolved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('subject', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='aml_cases', to=settings.AUTH_USER_MODEL)),
                ('subjects', models.ManyToManyField(blank=True, related_name='aml_cases_involved', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'AML case',
                'ordering': ['-opened_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='CaseAttachment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('file', models.FileField(storage=compliance.models.aml.private_storage, upload_to=compliance.models.aml.case_attachment_path)),
                ('original_name', models.CharField(max_length=255)),
                ('content_type', models.CharField(blank=True, max_length=100)),
                ('size_bytes', models.PositiveBigIntegerField()),
                ('sha256', models.CharField(max_length=64)),
                ('description', models.CharField(blank=True, max_length=255)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='attachments', to='compliance.amlcase')),
                ('uploaded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='CaseComment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('body', models.TextField()),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='comments', to='compliance.amlcase')),
            ],
            options={
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='GiftRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('idempotency_key', models.CharField(max_length=255)),
                ('request_hash', models.CharField(max_length=64)),
                ('sender_joined_at', models.DateTimeField(blank=True, null=True)),
                ('amount_cents', models.BigIntegerField()),
                ('currency', models.CharField(default='USD', max_length=3)),
                ('device_id', models.CharField(max_length=64)),
                ('ip_hash', models.CharField(max_length=32)),
                ('ip_prefix_hash', models.CharField(max_length=32)),
                ('country', models.CharField(blank=True, help_text='Where the request came from, if known.', max_length=2)),
                ('is_hosting_network', models.BooleanField(default=False, help_text='From a data-centre or VPN range.')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('decision', models.CharField(choices=[('allow', 'Allow'), ('hold', 'Hold for review'), ('block', 'Block')], max_length=8)),
                ('rule_hits', models.JSONField(blank=True, default=list, help_text='Every rule that fired: rule, score, reason.')),
                ('risk_score', models.PositiveIntegerField(default=0)),
                ('config_version', models.CharField(max_length=32)),
                ('decision_ms', models.FloatField(default=0.0, help_text='How long the decision took.')),
                ('receiver', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='gifts_received', to='creators.creatorprofile')),
                ('receiver_user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('sender', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='gifts_sent', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='AmlAlert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(choices=[('gift', 'Gift decision'), ('scan', 'Graph scan')], default='gift', max_length=8)),
                ('decision', models.CharField(blank=True, choices=[('allow', 'Allow'), ('hold', 'Hold for review'), ('block', 'Block')], max_length=8)),
                ('rules', models.JSONField(default=list, help_text='The rules that fired about this account: rule, score, reason.')),
                ('risk_score', models.PositiveIntegerField(default=0)),
                ('config_version', models.CharField(max_length=32)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('subject', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='aml_alerts', to=settings.AUTH_USER_MODEL)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='alerts', to='compliance.amlcase')),
                ('gift', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='alerts', to='compliance.giftrequest')),
            ],
            options={
                'verbose_name': 'AML alert',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.AddIndex(
            model_name='amlcase',
            index=models.Index(fields=['status', 'opened_at'], name='aml_case_status_opened'),
        ),
        migrations.AddConstraint(
            model_name='amlcase',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'resolved'), _negated=True), fields=('subject',), name='aml_one_unresolved_case_per_subject'),
        ),
        migrations.AddConstraint(
            model_name='amlcase',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'resolved'), models.Q(('resolution', ''), _negated=True), models.Q(('resolution_reason', ''), _negated=True), ('resolved_at__isnull', False)), models.Q(models.Q(('status', 'resolved'), _negated=True), ('resolution', ''), ('resolved_at__isnull', True)), _connector='OR'), name='aml_case_resolved_with_reason'),
        ),
        migrations.AddConstraint(
            model_name='casecomment',
            constraint=models.CheckConstraint(condition=models.Q(('body', ''), _negated=True), name='aml_comment_not_empty'),
        ),
        migrations.AddIndex(
            model_name='giftrequest',
            index=models.Index(fields=['sender', 'created_at'], include=('amount_cents', 'decision', 'receiver', 'country'), name='gift_sender_time'),
        ),
        migrations.AddIndex(
            model_name='giftrequest',
            index=models.Index(fields=['receiver', 'created_at'], include=('amount_cents', 'decision', 'sender', 'sender_joined_at'), name='gift_receiver_time'),
        ),
        migrations.AddIndex(
            model_name='giftrequest',
            index=models.Index(fields=['receiver_user', 'created_at'], include=('amount_cents', 'decision', 'sender'), name='gift_receiver_user_time'),
        ),
        migrations.AddIndex(
            model_name='giftrequest',
            index=models.Index(fields=['device_id', 'created_at'], include=('sender',), name='gift_device_time'),
        ),
        migrations.AddIndex(
            model_name='giftrequest',
            index=models.Index(fields=['ip_prefix_hash', 'created_at'], include=('sender',), name='gift_prefix_time'),
        ),
        migrations.AddIndex(
            model_name='giftrequest',
            index=models.Index(fields=['created_at'], name='gift_time'),
        ),
        migrations.AddConstraint(
            model_name='giftrequest',
            constraint=models.UniqueConstraint(fields=('sender', 'idempotency_key'), name='gift_idempotency_key_per_sender'),
        ),
        migrations.AddConstraint(
            model_name='giftrequest',
            constraint=models.CheckConstraint(condition=models.Q(('amount_cents__gt', 0)), name='gift_amount_positive'),
        ),
        migrations.AddConstraint(
            model_name='giftrequest',
            constraint=models.CheckConstraint(condition=models.Q(('currency__regex', '^[A-Z]{3}$')), name='gift_currency_iso'),
        ),
        migrations.AddConstraint(
            model_name='giftrequest',
            constraint=models.CheckConstraint(condition=models.Q(('decision__in', ['allow', 'hold', 'block'])), name='gift_decision_valid'),
        ),
        migrations.AddConstraint(
            model_name='amlalert',
            constraint=models.UniqueConstraint(fields=('gift', 'subject'), name='aml_alert_once_per_gift_subject'),
        ),
        migrations.RunPython(grant_staff_permissions, migrations.RunPython.noop),
    ]
