"""Every variable the settings (and `make run`) read is documented: README.md says
.env.example "documents every variable", and the operators' table lists them."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Lines such as `NAME=value` or, for one without a useful default, `# NAME=example`.
EXAMPLE_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def _is_env(node: ast.expr) -> bool:
    """`env`, settings.py's `_path` (a directory read with env), or `environ.Env()`."""
    if isinstance(node, ast.Name):
        return node.id in ("env", "_path")
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "Env"
    )


def _is_os_environ_get(func: ast.expr) -> bool:
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "get"
        and isinstance(func.value, ast.Attribute)
        and func.value.attr == "environ"
    )


def variables_read(path: Path) -> set[str]:
    """Names passed to env("NAME"), env.xxx("NAME") or os.environ.get("NAME")."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func, first = node.func, node.args[0]
        reads = _is_env(func) or _is_os_environ_get(func)
        if isinstance(func, ast.Attribute) and _is_env(func.value):
            reads = True
        if reads and isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return names


def test_the_parser_finds_every_form_of_read(tmp_path):
    source = tmp_path / "s.py"
    source.write_text(
        'A = env("ONE")\nB = env.int("TWO", default=1)\n'
        'C = environ.Env().str("THREE")\nD = os.environ.get("FOUR", "x")\n'
        'E = other("FIVE")\n'
    )

    assert variables_read(source) == {"ONE", "TWO", "THREE", "FOUR"}


def test_every_variable_the_settings_read_is_in_env_example():
    """MEDIA_ROOT, the Celery settings and SMSPORTAL_LOCALE_DIR were missing."""
    read = variables_read(ROOT / "smsportal" / "settings.py")
    read |= variables_read(ROOT / "scripts" / "run_all.py")
    documented = set(EXAMPLE_LINE.findall((ROOT / ".env.example").read_text()))

    assert {"MEDIA_ROOT", "CELERY_VISIBILITY_TIMEOUT", "LOG_LEVEL"} <= read
    assert sorted(read - documented) == []


def test_every_variable_the_settings_read_is_in_the_readmes_table():
    read = variables_read(ROOT / "smsportal" / "settings.py")
    readme = (ROOT / "README.md").read_text()

    assert sorted(name for name in read if f"`{name}`" not in readme) == []


def test_the_documented_opt_out_words_are_the_codes():
    from campaigns.inbox import DEFAULT_OPT_OUT_WORDS

    example = (ROOT / ".env.example").read_text()
    above = example.split("\nSMSPORTAL_OPT_OUT_WORDS=", 1)[0].splitlines()
    comment = []  # the comment lines just above the variable
    while above and above[-1].startswith("#"):
        comment.insert(0, above.pop())
    readme_row = next(
        line
        for line in (ROOT / "README.md").read_text().splitlines()
        if line.startswith("| `SMSPORTAL_OPT_OUT_WORDS`")
    )

    for text in ("\n".join(comment), readme_row):
        listed = set(re.findall(r"\b[A-ZА-ЯЁ]{4,}\b", text))
        assert listed == set(DEFAULT_OPT_OUT_WORDS), text


def test_an_empty_directory_variable_means_its_default(monkeypatch):
    """MEDIA_ROOT= (or SMSPORTAL_VAR_DIR=) in .env meant the current directory."""
    from smsportal.settings import _path

    monkeypatch.setenv("SMSPORTAL_TEST_DIR", "")
    assert _path("SMSPORTAL_TEST_DIR", Path("/srv/default")) == Path("/srv/default")
    monkeypatch.setenv("SMSPORTAL_TEST_DIR", "/srv/shared")
    assert _path("SMSPORTAL_TEST_DIR", Path("/srv/default")) == Path("/srv/shared")
