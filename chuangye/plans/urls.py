from django.urls import path

from chuangye.plans import views

app_name = "plans"

urlpatterns = [
    path("plan/", views.plan_detail, name="plan"),
    path("measures/<int:pk>/", views.measure_detail, name="measure"),
    path("departments/", views.department_list, name="departments"),
    path("departments/<str:code>/", views.department_detail, name="department"),
    path("districts/", views.district_list, name="districts"),
    path("districts/<str:code>/", views.district_detail, name="district"),
]
