from django.urls import path

from safeguarding import views

app_name = "safeguarding"

urlpatterns = [
    path("concerns/new/", views.concern_new, name="concern_new"),
    path("my-concerns/", views.my_concerns, name="my_concerns"),
    path("concerns/", views.concerns, name="concerns"),
    path("concerns/<int:pk>/", views.concern, name="concern"),
    path("preserved-posts/<int:pk>/", views.preserved_post, name="preserved_post"),
]
