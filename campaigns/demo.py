"""Demo message templates for `make run`, so the composer has some to offer. Idempotent."""

from typing import Any

from campaigns.models import MessageTemplate

DEMO_TEMPLATES = {
    "Скидка недели": (
        "{first_name}, только до воскресенья скидка 20% на всё! "
        "Ответьте СТОП, чтобы не получать рассылку."
    ),
    "Заказ готов": "{first_name}, ваш заказ готов. Ждём вас с 10:00 до 20:00.",
}


def load(*, stdout: Any) -> None:
    created = sum(
        MessageTemplate.objects.get_or_create(name=name, defaults={"text": text})[1]
        for name, text in DEMO_TEMPLATES.items()
    )
    stdout.write(f"Demo message templates: {created} created.")
