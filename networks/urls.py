from django.urls import path

from networks import views

app_name = "networks"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/members/", views.members, name="members"),
    path("<slug:slug>/join/", views.join, name="join"),
    path("<slug:slug>/leave/", views.leave, name="leave"),
    path("<slug:slug>/request/", views.join_request, name="request"),
    path(
        "<slug:slug>/requests/<int:pk>/decide/",
        views.join_request_decide,
        name="decide",
    ),
    path("<slug:slug>/members/add/", views.member_add, name="member_add"),
    path(
        "<slug:slug>/members/<int:person_id>/remove/",
        views.member_change,
        {"change": "remove"},
        name="member_remove",
    ),
    path(
        "<slug:slug>/members/<int:person_id>/promote/",
        views.member_change,
        {"change": "promote"},
        name="lead_promote",
    ),
    path(
        "<slug:slug>/members/<int:person_id>/demote/",
        views.member_change,
        {"change": "demote"},
        name="lead_demote",
    ),
]
