from django.urls import path

from chuangye.programs.entrepreneurs import views

app_name = "entrepreneurs"

urlpatterns = [
    path("", views.person_list, name="persons"),
    path("new/", views.person_create, name="person-new"),
    path("<int:pk>/", views.person_detail, name="person"),
    path("<int:pk>/unmask/", views.person_unmask, name="person-unmask"),
    path("<int:pk>/support/", views.support_add, name="support-add"),
    path("<int:pk>/ventures/", views.venture_add, name="venture-add"),
    path("ventures/<int:pk>/", views.venture_detail, name="venture"),
    path("ventures/<int:pk>/jobs/", views.jobs_add, name="jobs-add"),
    path("me/", views.my_profile, name="me"),
]
