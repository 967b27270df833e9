"""Messages and replies in chosen states, written straight to the ledger (triggers run)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from campaigns.models import Campaign, Message, Reply

# (status, reason, vendor code, vendor text, operator, cost, segments)
MIX = [
    ("delivered", "", "", "", "MTS", Decimal("2.10"), 1),
    ("delivered", "", "", "", "MTS", Decimal("4.20"), 2),
    ("delivered", "", "", "", "Beeline", None, 1),
    ("read", "", "", "", "MegaFon", Decimal("1.00"), 1),
    ("sent", "", "", "", "Beeline", None, 1),
    ("queued", "", "", "", "", None, 1),
    (
        "undelivered",
        "expired",
        "expired",
        "Срок жизни истёк",
        "MTS",
        Decimal("2.10"),
        1,
    ),
    ("undelivered", "expired", "expired", "Срок жизни истёк", "Beeline", None, 1),
    ("undelivered", "unreachable", "not_deliver", "Абонент недоступен", "MTS", None, 1),
    ("rejected", "invalid_number", "7", "Неверный номер", "", None, 1),
    ("failed", "gateway_error", "", '=HYPERLINK("http://evil")', "", None, 1),
    ("cancelled", "cancelled", "", "", "", None, 1),
    ("pending", "", "", "", "", None, 1),
]


def seed_messages(
    campaign: Campaign, mix=MIX, *, prefix: str = "+7912"
) -> list[Message]:
    now = timezone.now()
    rows = []
    for index, (status, reason, code, text, operator, cost, segments) in enumerate(mix):
        delivered = status in ("delivered", "read")
        rows.append(
            Message(
                campaign=campaign, account=campaign.account, phone=f"{prefix}{index:07d}",
                text=f"Hello {index}", channel="sms", status=status, reason=reason,
                vendor_code=code, vendor_text=text, operator=operator, cost=cost,
                estimated_cost=Decimal("2.50") * segments, segments=segments,
                gateway_message_id=str(1000 + index) if status != "pending" else "",
                planned_at=now - timedelta(hours=1),
                submitted_at=None if status == "pending" else now - timedelta(minutes=50),
                delivered_at=now - timedelta(minutes=40 - index) if delivered else None,
            )
        )  # fmt: skip
    return Message.objects.bulk_create(rows)


def make_reply(account, *, phone="+79120000001", text="Спасибо", **fields) -> Reply:
    return Reply.objects.create(account=account, phone=phone, text=text, **fields)
