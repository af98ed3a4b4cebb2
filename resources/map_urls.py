from django.urls import path

from resources import map_views as views

urlpatterns: list = [
    path("networks/<slug:slug>/map/", views.map_page, name="map"),
    path("networks/<slug:slug>/map.csv", views.map_csv, name="map_csv"),
    path("networks/<slug:slug>/map/strands/add/", views.strand_add, name="strand_add"),
    path("networks/<slug:slug>/map/units/add/", views.unit_add, name="unit_add"),
    path("map/strands/<int:pk>/edit/", views.strand_edit, name="strand_edit"),
    path("map/strands/<int:pk>/move/", views.strand_move, name="strand_move"),
    path("map/strands/<int:pk>/delete/", views.strand_delete, name="strand_delete"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<int:pk>/delete/", views.unit_delete, name="unit_delete"),
    path("units/<int:pk>/resources/", views.unit_resources, name="unit_resources"),
]
