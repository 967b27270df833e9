import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsportal.settings")
django_application = get_wsgi_application()

from smsportal.production import key_warnings_log, refuse_unsafe_start  # noqa: E402

# The same refusal as Celery's worker and beat (smsportal.celery), and the same
# warning when the keys read no stored credentials.
refuse_unsafe_start()
key_warnings_log()

# Needs the apps loaded (above). Status callbacks of accounts this process knows skip
# most of Django's request handling; every other request is Django's as usual.
from campaigns.callback_wsgi import StatusCallbackShortcut  # noqa: E402

application = StatusCallbackShortcut(django_application)
