from django.utils.translation import gettext_lazy

from smsportal.lib.languages import in_every_language


def test_each_label_comes_in_each_language_of_the_site(settings):
    settings.LANGUAGES = [("ru", "Russian"), ("en", "English")]
    labels = {"phone": gettext_lazy("Phone"), "plain": "as is"}

    assert list(in_every_language(labels)) == [
        ("phone", "Телефон"), ("plain", "as is"),
        ("phone", "Phone"), ("plain", "as is"),
    ]  # fmt: skip
