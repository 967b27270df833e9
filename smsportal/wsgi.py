import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsportal.settings")
django_application = get_wsgi_application()

from django.conf import settings  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

if not settings.DEBUG and settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set: production (DEBUG off) must not run on the public "
        "development key. Set SECRET_KEY to a long random value (README, Settings)."
    )

# Needs the apps loaded (above). Status callbacks of accounts this process knows skip
# most of Django's request handling; every other request is Django's as usual.
from campaigns.callback_wsgi import StatusCallbackShortcut  # noqa: E402

application = StatusCallbackShortcut(django_application)
