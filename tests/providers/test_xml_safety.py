"""Every XML body we read refuses external entities and entity expansion."""

import pytest

from providers.parsing import BodyError, parse_xml
from tests.campaigns.gateway_accounts import simulated_account

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<response><state id_sms="1" time="" sms="deliver">&x;</state></response>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<status id="1" date=""><state>&d;</state></status>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;]><r/>"""


@pytest.mark.parametrize("body", [XXE, LAUGHS, PARAMETER_ENTITY])
def test_parse_xml_refuses_doctypes_and_entities(body):
    with pytest.raises(BodyError):
        parse_xml(body)


@pytest.mark.parametrize("body", [XXE, LAUGHS, PARAMETER_ENTITY])
def test_doctype_hidden_behind_whitespace_and_bom_is_refused(body):
    with pytest.raises(BodyError):
        parse_xml(b"\xef\xbb\xbf\n  " + body)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["webcom", "websms", "smsc"])
@pytest.mark.parametrize("body", [XXE, LAUGHS], ids=["xxe", "laughs"])
def test_callbacks_refuse_entity_attacks_without_leaking(client, simulator, kind, body):
    from campaigns.models import OrphanStatusReport

    account = simulated_account(simulator, kind)
    response = client.post(
        f"/callbacks/{account.callback_token}/status/",
        data=body,
        content_type="text/xml",
    )
    # WEBSMS's delivery reports are acknowledged even unread, or it posts them again
    # for ever (campaigns.webhooks): nothing is taken from the body either way.
    expected = (200, b"<status>accepted</status>") if kind == "websms" else (400,)
    assert (response.status_code, response.content.strip())[: len(expected)] == (
        expected
    )
    assert not OrphanStatusReport.objects.exists()
    assert b"root:" not in response.content
    assert b"aaaaaaaaaa" not in response.content
