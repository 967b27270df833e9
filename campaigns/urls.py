from django.urls import path

from smsportal.placeholder import not_built_yet

app_name = "campaigns"

urlpatterns = [
    path("", not_built_yet, name="list"),
    path("inbox/", not_built_yet, name="inbox"),
]
