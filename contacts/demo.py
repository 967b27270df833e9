"""Demo contact book for `make run`: a few people, two groups, one opt-out. Idempotent."""

from datetime import date
from typing import Any

from django.utils import timezone

from contacts.models import Contact, ContactGroup, StopListEntry
from contacts.phone import normalize_phone

DEMO_CONTACTS = (
    # phone, last name, first name, middle name, groups
    ("+7 495 123-45-67", "Иванов", "Иван", "Петрович", ("Клиенты",)),
    ("8 (423) 222-33-44", "Петрова", "Анна", "Сергеевна", ("Клиенты",)),
    ("8 912 345-67-89", "Смирнов", "Алексей", "Викторович", ("Клиенты", "Сотрудники")),
    ("+7 903 111-22-33", "Кузнецова", "Мария", "Ивановна", ("Сотрудники",)),
    ("8 999 000-11-22", "Соколов", "Дмитрий", "", ("Клиенты",)),
)
GROUP_DESCRIPTIONS = {
    "Клиенты": "Клиенты, согласившиеся на рассылку",
    "Сотрудники": "Внутренние уведомления",
}
STOPPED = ("8 999 000-11-22", "Отписался ответом STOP")
# Born on the day the demo is loaded, so the demo's birthday greeting has someone.
BIRTHDAY_TODAY = "8 912 345-67-89"


def load(*, stdout: Any) -> None:
    groups = {
        name: ContactGroup.objects.get_or_create(
            name=name, defaults={"description": text}
        )[0]
        for name, text in GROUP_DESCRIPTIONS.items()
    }
    created = 0
    for raw, last, first, middle, group_names in DEMO_CONTACTS:
        phone = normalize_phone(raw)
        contact, is_new = Contact.objects.get_or_create(
            phone=phone.e164,
            defaults={
                "last_name": last,
                "first_name": first,
                "middle_name": middle,
                "is_mobile": phone.is_mobile,
                "time_zone": phone.time_zone,
                "consent_source": "demo",
                "birthday": _birthday_today() if raw == BIRTHDAY_TODAY else None,
            },
        )
        created += is_new
        contact.groups.add(*(groups[name] for name in group_names))
    StopListEntry.objects.get_or_create(
        phone=normalize_phone(STOPPED[0]).e164,
        defaults={"reason": STOPPED[1], "source": StopListEntry.Source.KEYWORD},
    )
    stdout.write(f"Demo contacts: {created} created, {len(DEMO_CONTACTS)} in the book.")


def _birthday_today() -> date:
    today = timezone.localdate()
    year = today.year - 35
    if (today.month, today.day) == (2, 29):
        return date(year - year % 4, 2, 29)  # a leap year 32-35 years back
    return today.replace(year=year)
