"""Permission checks shared by pages and the API."""

from django.contrib.auth.mixins import PermissionRequiredMixin


class PermissionRequired(PermissionRequiredMixin):
    """Page mixin: anonymous users are sent to login by the middleware, others get 403."""

    raise_exception = True
