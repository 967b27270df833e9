"""smsportal_sms_parts(): exact SMS parts of a text whose characters cost 1 or 2 units.

The expansion counts segments with a formula (units / part size) that is exact unless
a 2-unit character (a GSM extension character, or an emoji in UCS-2) would straddle
two parts: it never does, it moves to the next part. Rows with such characters were
recounted in Python afterwards, a second pass over every multi-part message; this
function packs them greedily in SQL instead, called for those rows only
(campaigns.sqlsegments). The same rule as campaigns.segments._pack.
"""

from django.db import migrations

POSTGRES = r"""
CREATE OR REPLACE FUNCTION smsportal_sms_parts(
    body text, gsm boolean, part_size integer, extended text
) RETURNS integer AS $$
DECLARE
  ch text;
  cost integer;
  used integer := 0;
  parts integer := 1;
BEGIN
  FOREACH ch IN ARRAY string_to_array(body, NULL) LOOP
    IF gsm THEN
      cost := CASE WHEN strpos(extended, ch) > 0 THEN 2 ELSE 1 END;
    ELSE
      cost := CASE WHEN ascii(ch) > 65535 THEN 2 ELSE 1 END;
    END IF;
    IF used + cost > part_size THEN
      parts := parts + 1;
      used := 0;
    END IF;
    used := used + cost;
  END LOOP;
  RETURN parts;
END $$ LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP FUNCTION IF EXISTS smsportal_sms_parts(text, boolean, integer, text)"
        )


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0006_message_id_cache")]

    operations = [migrations.RunPython(create, drop)]
