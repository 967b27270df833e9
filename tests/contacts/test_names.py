import pytest

from contacts.names import FullName, full_name_split


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Иванов Иван Иванович", FullName("Иванов", "Иван", "Иванович", "")),
        ("Иванов", FullName("Иванов", "", "", "")),
        ("", FullName("", "", "", "")),
        ("Ульянова Вера «Верочка»", FullName("Ульянова", "Вера", "", "Верочка")),
        ("Ким [Миша] Михаил", FullName("Ким", "Михаил", "", "Миша")),
        ("Оглы Ахмед Гусейн оглы", FullName("Оглы", "Ахмед", "Гусейн оглы", "")),
        ("Сидоров Сидор „Сид“", FullName("Сидоров", "Сидор", "", "Сид")),
        ("Иванов, Иван", FullName("Иванов", "Иван", "", "")),
        ("Петрова,Анна, Сергеевна", FullName("Петрова", "Анна", "Сергеевна", "")),
        ("Ким, Михаил (Миша, Мишаня)", FullName("Ким", "Михаил", "", "Миша, Мишаня")),
    ],
)
def test_full_name_split(text, expected):
    assert full_name_split(text) == expected
