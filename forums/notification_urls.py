"""URLs of forum notifications, included into the forums namespace."""

from django.urls import path

from forums import notification_views as views

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
    path("notifications/read-all/", views.mark_all_read, name="notifications_mark_all_read"),
    path("notifications/settings/", views.preferences, name="notification_settings"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
