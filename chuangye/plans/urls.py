from django.urls import path

from chuangye.plans import views

app_name = "plans"

urlpatterns = [
    path("plan/", views.plan_detail, name="plan"),
    path("plan/upload/", views.upload, name="upload"),
    path("allocation/", views.allocation, name="allocation"),
    path("plan/drafts/<int:pk>/", views.draft_detail, name="draft"),
    path("plan/drafts/<int:pk>/edit/", views.draft_edit, name="draft-edit"),
    path("plan/drafts/<int:pk>/import/", views.draft_import, name="draft-import"),
    path("plan/drafts/<int:pk>/discard/", views.draft_discard, name="draft-discard"),
    path("measures/<int:pk>/", views.measure_detail, name="measure"),
    path("departments/", views.department_list, name="departments"),
    path("departments/<str:code>/", views.department_detail, name="department"),
    path("districts/", views.district_list, name="districts"),
    path("districts/<str:code>/", views.district_detail, name="district"),
]
