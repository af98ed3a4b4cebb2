"""URLs of forum moderations, included into the forums namespace."""

from django.urls import path

from forums import moderation_views as views

urlpatterns = [
    path("posts/<int:pk>/report/", views.post_report, name="post_report"),
    path("my-reports/", views.my_reports, name="my_reports"),
    path("my-reports/<int:pk>/", views.report_sent, name="report_sent"),
    path("posts/<int:pk>/hide/", views.post_hide, name="post_hide"),
    path("posts/<int:pk>/restore/", views.post_restore, name="post_restore"),
    path("posts/<int:pk>/dismiss-reports/", views.report_dismiss, name="report_dismiss"),
    path("posts/<int:pk>/author/", views.post_reveal, name="post_reveal"),
    path("threads/<int:pk>/lock/", views.thread_lock, name="thread_lock"),
    path("threads/<int:pk>/pin/", views.thread_pin, name="thread_pin"),
    path("threads/<int:pk>/move/", views.thread_move, name="thread_move"),
    path("moderation/", views.queue, name="moderation_queue"),
    path("moderation/suspensions/", views.suspensions, name="suspensions"),
    path("moderation/suspensions/<int:pk>/lift/", views.suspension_lift, name="suspension_lift"),
    path("moderation/people/<int:pk>/suspend/", views.person_suspend, name="person_suspend"),
    path("moderation/audit/", views.audit_log, name="audit_log"),
    path("moderation/audit/export.csv", views.audit_export, name="audit_export"),
]
