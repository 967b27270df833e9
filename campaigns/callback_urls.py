"""Gateway callbacks (delivery reports, incoming messages): authenticated by URL token."""

app_name = "callbacks"

urlpatterns: list = []
