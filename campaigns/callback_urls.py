"""Gateway callbacks (delivery reports, incoming messages): authenticated by URL token."""

from django.urls import path

from campaigns.webhooks import IncomingCallbackView, StatusCallbackView

app_name = "callbacks"

urlpatterns = [
    path("<str:token>/status/", StatusCallbackView.as_view(), name="status"),
    path("<str:token>/incoming/", IncomingCallbackView.as_view(), name="incoming"),
]
