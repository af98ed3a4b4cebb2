"""URLs of forum moderations, included into the forums namespace."""

urlpatterns: list = []
