from django.urls import path

from smsportal.placeholder import not_built_yet

app_name = "providers"

urlpatterns = [
    path("", not_built_yet, name="list"),
]
