# The KYC and phone-trust models. Written by hand from `makemigrations --dry-run` while several
# compliance areas were built side by side; holds only that area's operations, then grants the
# staff groups what they need to work the KYC review queue.
from django.conf import settings
from django.db import migrations, models
import compliance.models.kyc
import creators.models
import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import phonenumber_field.modelfields
import uuid

from creators.roles import FINANCE, TRUST_AND_SAFETY, grant_group_permissions

GRANTS = {
    TRUST_AND_SAFETY: [
        "compliance.view_kycsubmission",
        "compliance.review_kycsubmission",
        "compliance.view_identitydocument",
        "compliance.view_kycreview",
        "compliance.view_phonetrustassessment",
        "compliance.view_phonelookupaudit",
    ],
    # Payouts gate money on the KYC level; Finance sees the outcome, not the documents.
    FINANCE: ["compliance.view_kycsubmission", "compliance.view_kycreview"],
}


def grant(apps, schema_editor):
    grant_group_permissions(apps, schema_editor, GRANTS)


class Migration(migrations.Migration):

    dependencies = [
        ("compliance", "0001_sanctions_and_audit"),
        ("creators", "0002_staff_groups"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PhoneLookupAudit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('provider', models.CharField(max_length=32)),
                ('url', models.CharField(help_text='The endpoint, without the query (so without the key).', max_length=500)),
                ('phone', models.CharField(max_length=32)),
                ('attempt', models.PositiveSmallIntegerField(default=1)),
                ('status_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('latency_ms', models.PositiveIntegerField(default=0)),
                ('outcome', models.CharField(choices=[('ok', 'Answered'), ('http_error', 'HTTP error'), ('timeout', 'Timed out'), ('network_error', 'Network error'), ('rate_limited', 'Rate limited by the provider (429)'), ('throttled', 'Not sent: local rate limit'), ('bad_response', 'Unreadable response')], max_length=16)),
                ('error', models.TextField(blank=True)),
                ('requested_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
            ],
            options={
                'ordering': ['-requested_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='KycSubmission',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('given_names', models.CharField(max_length=150)),
                ('surname', models.CharField(max_length=150)),
                ('aliases', models.JSONField(blank=True, default=list, help_text='Other names the person is known by.')),
                ('date_of_birth', models.DateField()),
                ('sex', models.CharField(blank=True, choices=[('F', 'Female'), ('M', 'Male'), ('X', 'Unspecified')], max_length=1)),
                ('nationality', models.CharField(max_length=2, validators=[django.core.validators.RegexValidator('^[A-Z]{2}$', "A country is an ISO 3166-1 alpha-2 code such as 'GB'.")])),
                ('address_line1', models.CharField(max_length=200)),
                ('address_line2', models.CharField(blank=True, max_length=200)),
                ('city', models.CharField(max_length=100)),
                ('postal_code', models.CharField(blank=True, max_length=20)),
                ('address_country', models.CharField(max_length=2, validators=[django.core.validators.RegexValidator('^[A-Z]{2}$', "A country is an ISO 3166-1 alpha-2 code such as 'GB'.")])),
                ('phone_number', phonenumber_field.modelfields.PhoneNumberField(max_length=128, region=None)),
                ('email', models.EmailField(max_length=254)),
                ('status', models.CharField(choices=[('submitted', 'Submitted'), ('approved', 'Approved'), ('needs_review', 'Needs review'), ('rejected', 'Rejected'), ('expired', 'Expired')], db_index=True, default='submitted', max_length=16)),
                ('level', models.PositiveSmallIntegerField(choices=[(0, '0 - none'), (1, '1 - basic'), (2, '2 - verified'), (3, '3 - enhanced')], default=0)),
                ('eligible_level', models.PositiveSmallIntegerField(choices=[(0, '0 - none'), (1, '1 - basic'), (2, '2 - verified'), (3, '3 - enhanced')], default=0, help_text='The level an approval grants (basic or verified).')),
                ('score', models.PositiveSmallIntegerField(default=0, help_text='0 to 100; higher is more trustworthy.')),
                ('flags', models.JSONField(blank=True, default=list, help_text='Every check: {check, result, reason, ...}.')),
                ('screening_matches', models.JSONField(blank=True, default=list)),
                ('enhanced_review', models.BooleanField(default=False, help_text='Escalated for enhanced due diligence: a second reviewer must approve.')),
                ('submitted_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('expires_at', models.DateField(blank=True, help_text='The verification lapses after this day: the earliest document expiry.', null=True)),
                ('escalated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='kyc_submissions', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-submitted_at', '-id'],
                'permissions': [('review_kycsubmission', 'Can decide KYC reviews (approve, reject, escalate)')],
            },
        ),
        migrations.CreateModel(
            name='KycReview',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('decision', models.CharField(choices=[('approve', 'Approve'), ('reject', 'Reject'), ('escalate', 'Escalate to enhanced due diligence')], max_length=16)),
                ('reason', models.TextField()),
                ('from_status', models.CharField(max_length=16)),
                ('to_status', models.CharField(max_length=16)),
                ('level', models.PositiveSmallIntegerField(default=0)),
                ('decided_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('reviewer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('submission', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reviews', to='compliance.kycsubmission')),
            ],
            options={
                'ordering': ['-decided_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='IdentityDocument',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('doc_type', models.CharField(choices=[('passport', 'Passport'), ('national_id', 'National identity card'), ('driving_licence', 'Driving licence')], max_length=16)),
                ('number', models.CharField(max_length=32)),
                ('issuing_country', models.CharField(max_length=2, validators=[django.core.validators.RegexValidator('^[A-Z]{2}$', "A country is an ISO 3166-1 alpha-2 code such as 'GB'.")])),
                ('holder_name', models.CharField(blank=True, help_text='The name as printed, when given.', max_length=200)),
                ('issue_date', models.DateField(blank=True, null=True)),
                ('expiry_date', models.DateField(blank=True, null=True)),
                ('mrz', models.TextField(blank=True, help_text='The machine-readable zone as typed or read, lines separated.')),
                ('file', models.FileField(max_length=200, storage=creators.models.private_storage, upload_to=compliance.models.kyc.private_document_path)),
                ('content_type', models.CharField(help_text="Sniffed from the file's bytes, not its name.", max_length=32)),
                ('size_bytes', models.PositiveIntegerField()),
                ('sha256', models.CharField(max_length=64)),
                ('uploaded_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('submission', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='documents', to='compliance.kycsubmission')),
            ],
            options={
                'ordering': ['submission', 'id'],
            },
        ),
        migrations.CreateModel(
            name='PhoneTrustAssessment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('phone', models.CharField(blank=True, max_length=32)),
                ('score', models.PositiveSmallIntegerField()),
                ('line_type', models.CharField(choices=[('mobile', 'Mobile'), ('fixed_line', 'Fixed line'), ('fixed_or_mobile', 'Fixed line or mobile'), ('voip', 'VoIP'), ('premium', 'Premium rate'), ('toll_free', 'Toll free'), ('other', 'Other (pager, shared cost, personal)'), ('unknown', 'Unknown'), ('invalid', 'Not a valid number')], max_length=16)),
                ('country', models.CharField(blank=True, max_length=2)),
                ('reasons', models.JSONField(default=list, help_text='Each signal: {signal, points, reason}.')),
                ('provider', models.CharField(blank=True, help_text='External provider consulted, if any.', max_length=32)),
                ('provider_result', models.JSONField(blank=True, default=dict)),
                ('assessed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='phone_assessments', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-assessed_at', '-id'],
            },
        ),
        migrations.AddIndex(
            model_name='kycsubmission',
            index=models.Index(fields=['user', '-submitted_at'], name='kyc_user_recent'),
        ),
        migrations.AddIndex(
            model_name='kycsubmission',
            index=models.Index(fields=['status', 'submitted_at'], name='kyc_queue'),
        ),
        migrations.AddConstraint(
            model_name='kycsubmission',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['submitted', 'approved', 'needs_review', 'rejected', 'expired'])), name='kyc_status_known'),
        ),
        migrations.AddConstraint(
            model_name='kycsubmission',
            constraint=models.CheckConstraint(condition=models.Q(('level__lte', 3)), name='kyc_level_range'),
        ),
        migrations.AddConstraint(
            model_name='kycsubmission',
            constraint=models.CheckConstraint(condition=models.Q(('eligible_level__lte', 2)), name='kyc_eligible_level_range'),
        ),
        migrations.AddConstraint(
            model_name='kycsubmission',
            constraint=models.CheckConstraint(condition=models.Q(('score__lte', 100)), name='kyc_score_range'),
        ),
        migrations.AddConstraint(
            model_name='kycsubmission',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'approved'), ('level__gte', 1)), models.Q(models.Q(('status', 'approved'), _negated=True), ('level', 0)), _connector='OR'), name='kyc_level_only_when_approved'),
        ),
        migrations.AddConstraint(
            model_name='kycsubmission',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['submitted', 'needs_review'])), fields=('user',), name='kyc_one_open_per_user'),
        ),
        migrations.AddConstraint(
            model_name='kycreview',
            constraint=models.CheckConstraint(condition=models.Q(('decision__in', ['approve', 'reject', 'escalate'])), name='kyc_review_decision_known'),
        ),
        migrations.AddConstraint(
            model_name='kycreview',
            constraint=models.CheckConstraint(condition=models.Q(('reason', ''), _negated=True), name='kyc_review_has_reason'),
        ),
        migrations.AddConstraint(
            model_name='identitydocument',
            constraint=models.CheckConstraint(condition=models.Q(('doc_type__in', ['passport', 'national_id', 'driving_licence'])), name='kyc_doc_type_known'),
        ),
        migrations.AddConstraint(
            model_name='identitydocument',
            constraint=models.CheckConstraint(condition=models.Q(('content_type__in', ['image/jpeg', 'image/png', 'application/pdf'])), name='kyc_doc_content_type_allowed'),
        ),
        migrations.AddConstraint(
            model_name='identitydocument',
            constraint=models.CheckConstraint(condition=models.Q(('size_bytes__gt', 0)), name='kyc_doc_not_empty'),
        ),
        migrations.AddConstraint(
            model_name='identitydocument',
            constraint=models.CheckConstraint(condition=models.Q(('issue_date__isnull', True), ('expiry_date__isnull', True), ('expiry_date__gt', models.F('issue_date')), _connector='OR'), name='kyc_doc_expiry_after_issue'),
        ),
        migrations.AddIndex(
            model_name='phonetrustassessment',
            index=models.Index(fields=['user', '-assessed_at'], name='phone_trust_user_recent'),
        ),
        migrations.AddConstraint(
            model_name='phonetrustassessment',
            constraint=models.CheckConstraint(condition=models.Q(('score__lte', 100)), name='phone_trust_score_range'),
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
