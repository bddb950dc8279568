"""Rate-limit rows were keyed by an unsalted sha256(base_url + token), which lets a guessed token be confirmed
offline from a copy of the database. Keys are now an HMAC under SECRET_KEY; the old rows (a minute of pacing
state at most) are deleted so no plain hash stays behind."""
from django.db import migrations


def delete_plain_hash_rows(apps, schema_editor):
    apps.get_model("stagingapp", "WebflowRateLimitState").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("stagingapp", "0012_item_search_trigram")]

    operations = [migrations.RunPython(delete_plain_hash_rows, migrations.RunPython.noop)]
