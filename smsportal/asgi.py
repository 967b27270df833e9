import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsportal.settings")
application = get_asgi_application()

from smsportal.production import key_warnings_log, refuse_unsafe_start  # noqa: E402

# As smsportal.wsgi: served by an ASGI server (uvicorn, daphne), the web process
# started on the public development key with DEBUG off.
refuse_unsafe_start()
key_warnings_log()
