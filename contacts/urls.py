from django.urls import path

from smsportal.placeholder import not_built_yet

app_name = "contacts"

urlpatterns = [
    path("", not_built_yet, name="list"),
    path("groups/", not_built_yet, name="group_list"),
    path("stop-list/", not_built_yet, name="stoplist"),
]
