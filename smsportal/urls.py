from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path

from accounts.views import ThrottledLoginView, admin_login
from smsportal import views
from smsportal.api import api

urlpatterns = [
    # First: gateways call these most, many times a second, and resolving walks the
    # list in order.
    path("callbacks/", include("campaigns.callback_urls")),
    path("", views.dashboard, name="dashboard"),
    path("in-flight/", views.dashboard_in_flight, name="dashboard_in_flight"),
    path(
        "login/",
        login_not_required(ThrottledLoginView.as_view()),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("accounts.urls")),
    path("contacts/", include("contacts.urls")),
    # Reports and the inbox (campaigns/inbox/...) share the campaigns/ prefix.
    path("campaigns/", include("campaigns.report_urls")),
    path("campaigns/", include("campaigns.urls")),
    path("providers/", include("providers.urls")),
    # Before the admin's own: its login page knew no throttle.
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # Last under the prefix: any other path there is the API's JSON 404.
    re_path(r"^api/", views.api_not_found),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages without an icon link (admin, raw files).
    path("favicon.ico", views.favicon, name="favicon"),
]

handler400 = "smsportal.views.bad_request"
handler404 = "smsportal.views.not_found"

# No /media/, DEBUG or not: uploaded imports and their rejected rows hold people's
# numbers and names, and Django's file view served them to anyone signed in. They
# are read through views that check permissions (contacts:import_rejects).
