"""Demo message templates and a birthday greeting for `make run`, so the composer has
texts to offer and the greetings page an example. Idempotent.

The greeting is made turned off: turned on, it would send (and spend the demo
balance) as soon as the demo is loaded, a campaign nobody asked for; the greetings
page says how to turn it on."""

from typing import Any

from campaigns.models import BirthdayGreeting, MessageTemplate
from contacts.models import ContactGroup
from providers.models import ProviderAccount

DEMO_TEMPLATES = {
    "Скидка недели": (
        "{first_name}, только до воскресенья скидка 20% на всё! "
        "Ответьте СТОП, чтобы не получать рассылку."
    ),
    "Заказ готов": "{first_name}, ваш заказ готов. Ждём вас с 10:00 до 20:00.",
}


DEMO_GREETING = "С днём рождения"
DEMO_GREETING_TEXT = (
    "{first_name}, с днём рождения! Дарим скидку 15% на любую покупку до конца недели."
)


def load(*, stdout: Any) -> None:
    created = sum(
        MessageTemplate.objects.get_or_create(name=name, defaults={"text": text})[1]
        for name, text in DEMO_TEMPLATES.items()
    )
    stdout.write(f"Demo message templates: {created} created.")
    _load_greeting(stdout)


def _load_greeting(stdout: Any) -> None:
    account = ProviderAccount.objects.filter(kind="webcom").order_by("pk").first()
    group = ContactGroup.objects.filter(name="Клиенты").first()
    if account is None or group is None:
        return
    greeting, created = BirthdayGreeting.objects.get_or_create(
        name=DEMO_GREETING,
        defaults={
            "account": account,
            "sender": account.default_sender,
            "text": DEMO_GREETING_TEXT,
            "is_active": False,
        },
    )
    if created:
        greeting.include_groups.add(group)
    stdout.write(f"Demo birthday greeting: {'created' if created else 'kept'}.")
