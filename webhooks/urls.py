from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("new/", views.subscription_create, name="create"),
    path("<int:pk>/", views.subscription_detail, name="detail"),
    path("<int:pk>/edit/", views.subscription_edit, name="edit"),
    path("<int:pk>/delete/", views.subscription_delete, name="delete"),
    path(
        "<int:pk>/rotate-secret/",
        views.subscription_rotate_secret,
        name="rotate-secret",
    ),
    path("<int:pk>/pause/", views.subscription_pause, name="pause"),
    path("<int:pk>/resume/", views.subscription_resume, name="resume"),
    path("<int:pk>/test/", views.subscription_test, name="test"),
    path(
        "<int:pk>/deliveries/<int:delivery_pk>/send-again/",
        views.delivery_send_again,
        name="send-again",
    ),
]
