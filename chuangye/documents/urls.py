from django.urls import path

from chuangye.documents import views

app_name = "documents"

urlpatterns = [
    path("", views.index, name="index"),
    path("bulletins/", views.bulletins, name="bulletins"),
    path("bulletins/<int:pk>/", views.bulletin_detail, name="bulletin"),
    path("bulletins/<int:pk>/edit/", views.bulletin_edit, name="bulletin-edit"),
    path(
        "bulletins/<int:pk>/<str:action>/",
        views.bulletin_action,
        name="bulletin-action",
    ),
    path(
        "bulletins/<int:pk>/download/<str:fmt>/",
        views.bulletin_download,
        name="bulletin-download",
    ),
    path("bulletins/<int:pk>/charts/<str:name>.png", views.bulletin_chart, name="bulletin-chart"),
    path("notices/", views.notices, name="notices"),
    path("notices/new/", views.notice_new, name="notice-new"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
    path("notices/<int:pk>/docx/", views.notice_docx, name="notice-docx"),
    path("notices/<int:pk>/<str:action>/", views.notice_act, name="notice-act"),
    path("assessment/", views.assessment, name="assessment"),
    path("assessment/self/", views.assessment_self, name="assessment-self"),
    path("assessment/scheme/", views.scheme, name="scheme"),
]
