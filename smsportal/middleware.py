from django.contrib.auth.middleware import (
    LoginRequiredMiddleware as _DjangoLoginRequired,
)

# Paths that authenticate on their own (API tokens, callback tokens) or must stay open.
OPEN_PREFIXES = ("/api/", "/callbacks/", "/healthz", "/static/", "/i18n/")


class LoginRequiredMiddleware(_DjangoLoginRequired):
    """Every page needs a login unless it opts out or lives under an open prefix."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(OPEN_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
