"""URLs of forum notifications, included into the forums namespace."""

urlpatterns: list = []
