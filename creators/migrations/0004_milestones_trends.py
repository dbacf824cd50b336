"""Follower milestone awards, trend ideas and their adoptions."""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("creators", "0003_user_public_id"),
    ]

    operations = [
        migrations.CreateModel(
            name="Trend",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("name", models.CharField(max_length=80)),
                ("description", models.TextField(max_length=2000)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("submitted", "Submitted, awaiting review"),
                            ("approved", "Approved"),
                            ("rejected", "Rejected"),
                        ],
                        db_index=True,
                        default="submitted",
                        max_length=16,
                    ),
                ),
                ("submitted_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("reviewed_at", models.DateTimeField(blank=True, null=True)),
                ("review_reason", models.TextField(blank=True, max_length=2000)),
                (
                    "adoption_count",
                    models.PositiveIntegerField(default=0, help_text="Distinct other creators who adopted it."),
                ),
                ("threshold_reached_at", models.DateTimeField(blank=True, null=True)),
                (
                    "bonus_cents",
                    models.BigIntegerField(default=0, help_text="Bonus owed, fixed when the threshold was reached."),
                ),
                (
                    "bonus_entry_id",
                    models.UUIDField(blank=True, editable=False, help_text="Ledger entry that paid it.", null=True),
                ),
                ("bonus_paid_at", models.DateTimeField(blank=True, null=True)),
                ("boost_until", models.DateTimeField(blank=True, help_text="Promoted in feeds until then.", null=True)),
                (
                    "hashtag",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="trends", to="creators.hashtag"
                    ),
                ),
                (
                    "originator",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="trends", to="creators.creatorprofile"
                    ),
                ),
                (
                    "reviewed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="trends_reviewed",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-submitted_at"],
                "permissions": [("review_trend", "Can approve or reject trend ideas")],
            },
        ),
        migrations.CreateModel(
            name="TrendAdoption",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("adopted_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "creator",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="trend_adoptions",
                        to="creators.creatorprofile",
                    ),
                ),
                (
                    "trend",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="adoptions", to="creators.trend"
                    ),
                ),
                (
                    "video",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="trend_adoptions", to="creators.video"
                    ),
                ),
            ],
            options={
                "ordering": ["trend", "adopted_at"],
            },
        ),
        migrations.CreateModel(
            name="MilestoneAward",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("threshold", models.PositiveIntegerField(help_text="Followers reached, e.g. 10000.")),
                (
                    "follower_count",
                    models.PositiveIntegerField(help_text="The creator's follower count when it was reached."),
                ),
                ("reached_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("bonus_cents", models.BigIntegerField(help_text="Bonus owed, fixed when the milestone was reached.")),
                (
                    "bonus_entry_id",
                    models.UUIDField(blank=True, editable=False, help_text="Ledger entry that paid it.", null=True),
                ),
                ("paid_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("last_attempt_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("last_error", models.CharField(blank=True, editable=False, max_length=200)),
                (
                    "creator",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="milestone_awards",
                        to="creators.creatorprofile",
                    ),
                ),
            ],
            options={
                "ordering": ["creator", "threshold"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("paid_at__isnull", True)), fields=["reached_at"], name="milestone_unpaid"
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("creator", "threshold"), name="milestone_award_once"),
                    models.CheckConstraint(
                        condition=models.Q(("threshold__gt", 0)), name="milestone_threshold_positive"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("bonus_cents__gte", 0)), name="milestone_bonus_not_negative"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("bonus_entry_id__isnull", True), ("paid_at__isnull", True)),
                            models.Q(("bonus_entry_id__isnull", False), ("paid_at__isnull", False)),
                            models.Q(("bonus_cents", 0), ("bonus_entry_id__isnull", True), ("paid_at__isnull", False)),
                            _connector="OR",
                        ),
                        name="milestone_paid_with_entry",
                    ),
                ],
            },
        ),
        migrations.AddIndex(
            model_name="trend",
            index=models.Index(fields=["originator", "-submitted_at"], name="trend_originator_recent"),
        ),
        migrations.AddConstraint(
            model_name="trend",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["submitted", "approved", "rejected"])), name="trend_status_valid"
            ),
        ),
        migrations.AddConstraint(
            model_name="trend",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["submitted", "approved"])),
                fields=("hashtag",),
                name="trend_open_hashtag_once",
            ),
        ),
        migrations.AddConstraint(
            model_name="trend",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("reviewed_at__isnull", True), ("status", "submitted")),
                    models.Q(models.Q(("status", "submitted"), _negated=True), ("reviewed_at__isnull", False)),
                    _connector="OR",
                ),
                name="trend_reviewed_when_decided",
            ),
        ),
        migrations.AddConstraint(
            model_name="trend",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("bonus_entry_id__isnull", True), ("bonus_paid_at__isnull", True)),
                    models.Q(
                        ("bonus_entry_id__isnull", False), ("bonus_paid_at__isnull", False), ("status", "approved")
                    ),
                    models.Q(
                        ("bonus_cents", 0),
                        ("bonus_entry_id__isnull", True),
                        ("bonus_paid_at__isnull", False),
                        ("status", "approved"),
                    ),
                    _connector="OR",
                ),
                name="trend_bonus_paid_with_entry",
            ),
        ),
        migrations.AddConstraint(
            model_name="trend",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("boost_until__isnull", True), ("threshold_reached_at__isnull", False), _connector="OR"
                ),
                name="trend_boost_after_threshold",
            ),
        ),
        migrations.AddConstraint(
            model_name="trend",
            constraint=models.CheckConstraint(
                condition=models.Q(("bonus_cents__gte", 0)), name="trend_bonus_not_negative"
            ),
        ),
        migrations.AddIndex(
            model_name="trendadoption",
            index=models.Index(fields=["trend", "creator"], name="trend_adoption_creator"),
        ),
        migrations.AddConstraint(
            model_name="trendadoption",
            constraint=models.UniqueConstraint(fields=("trend", "video"), name="trend_adoption_once_per_video"),
        ),
    ]
