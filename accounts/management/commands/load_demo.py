"""Create the demo users (one per role) and let each app load its demo data."""

from importlib import import_module

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from accounts.roles import ADMIN, MANAGER, VIEWER

DEMO_USERS = (
    ("admin", ADMIN, True),
    ("manager", MANAGER, False),
    ("viewer", VIEWER, False),
)
DEMO_APPS = ("providers", "contacts", "campaigns")


class Command(BaseCommand):
    help = "Create demo users and demo data; safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default="demo-admin-2026",
            help="of the demo users admin, manager and viewer when they are created "
            "(default: demo-admin-2026); existing users keep theirs",
        )

    def handle(self, *args, password: str, **options):
        User = get_user_model()
        made = []
        for username, role, superuser in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"is_staff": True, "is_superuser": superuser},
            )
            if created:
                user.set_password(password)
                user.save(update_fields=["password"])
                made.append(username)
            user.groups.add(Group.objects.get(name=role))
        for app in DEMO_APPS:
            try:
                module = import_module(f"{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.demo":
                    raise
                continue
            module.load(stdout=self.stdout)
        users = "admin (Admin), manager (Manager), viewer (Viewer)"
        # Users of an earlier run keep their password (changed since, or another
        # --password): printing this run's as theirs sent people to a wrong one.
        kept = [name for name, _role, _superuser in DEMO_USERS if name not in made]
        if not kept:
            line = f"Demo users (password {password!r}): {users}"
        elif not made:
            line = f"Demo users: {users}; they keep the passwords they have"
        else:
            line = (
                f"Demo users: {users}; password {password!r} for "
                f"{', '.join(made)}, the others keep theirs"
            )
        self.stdout.write(self.style.SUCCESS(line))
