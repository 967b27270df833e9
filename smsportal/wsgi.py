import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsportal.settings")
django_application = get_wsgi_application()

# Needs the apps loaded (above). Status callbacks of accounts this process knows skip
# most of Django's request handling; every other request is Django's as usual.
from campaigns.callback_wsgi import StatusCallbackShortcut  # noqa: E402

application = StatusCallbackShortcut(django_application)
