"""What Django's admin says it saved, worded for any grammatical gender.

Django's Russian catalogue says it in the masculine: «Запись стоп-листа "+7…" был
успешно добавлен», «Вы можете добавить еще один группа ниже». Named here so that
makemessages keeps these messages in our catalogue, which Django reads before its own
(LOCALE_PATHS), where they are worded "Добавлено: группа «VIP»." Never imported:
the admin looks them up by these very strings.
"""

from django.utils.translation import gettext_noop

DJANGO_ADMIN_MESSAGES = (
    gettext_noop("The {name} “{obj}” was added successfully."),
    gettext_noop(
        "The {name} “{obj}” was added successfully. You may add another {name} below."
    ),
    gettext_noop(
        "The {name} “{obj}” was changed successfully. You may edit it again below."
    ),
    gettext_noop(
        "The {name} “{obj}” was changed successfully. You may add another {name} below."
    ),
    gettext_noop("The {name} “{obj}” was changed successfully."),
    gettext_noop("The %(name)s “%(obj)s” was deleted successfully."),
)
