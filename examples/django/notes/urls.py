from django.urls import path

from notes import views

urlpatterns = [
    path("", views.index),
    path("notes/<int:note_id>/", views.note),
    path("report/", views.report),
    path("fail/", views.fail),
]
