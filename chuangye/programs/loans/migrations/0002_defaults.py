"""Default policy (Weihai 2023 parameters) and the published one-year LPR, both editable."""

import datetime as dt

from django.db import migrations

from chuangye.programs.loans.defaults import LPR, seed


def forwards(apps, schema_editor):
    seed(apps.get_model("loans", "LoanPolicy"), apps.get_model("loans", "LprRate"))


def backwards(apps, schema_editor):
    apps.get_model("loans", "LprRate").objects.filter(effective_on__in=[d for d, _ in LPR]).delete()
    apps.get_model("loans", "LoanPolicy").objects.filter(effective_from=dt.date(2023, 1, 1)).delete()


class Migration(migrations.Migration):
    dependencies = [("loans", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
