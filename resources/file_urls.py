from django.urls import path

from resources import file_views

urlpatterns: list = [
    path("<int:pk>/files/add/", file_views.file_upload, name="file_upload"),
    path(
        "files/<int:file_pk>/new-version/",
        file_views.file_version_upload,
        name="file_version_upload",
    ),
    path("files/<int:file_pk>/history/", file_views.file_history, name="file_history"),
    path("files/<int:version_pk>/download/", file_views.file_download, name="file_download"),
    path("files/<int:version_pk>/preview/", file_views.file_preview, name="file_preview"),
    # Served on the user-content origin only (resources/user_content.py).
    path("files/content/<str:token>/", file_views.file_content, name="file_content"),
]
