"""URLs of resource discussions, principle consultations and reading state, included into the
forums namespace."""

urlpatterns: list = []
