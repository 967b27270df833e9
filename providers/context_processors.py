"""What every page shows about the provider accounts."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from providers.selectors import low_balance_accounts


def low_balances(request: HttpRequest) -> dict[str, object]:
    """Accounts below their balance warning level, for the banner on every page.

    Lazy: the query runs only when a page renders the banner, not for each htmx
    partial that goes through a RequestContext too.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if not user.has_perm("providers.view_provideraccount"):
        return {}
    return {"low_balance_accounts": SimpleLazyObject(low_balance_accounts)}
