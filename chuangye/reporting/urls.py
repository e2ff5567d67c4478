from django.urls import path

from chuangye.reporting import views

app_name = "reporting"

urlpatterns = [
    path("", views.report, name="report"),
    path("review/", views.review, name="review"),
    path("rounds/", views.rounds, name="rounds"),
    path("values/<int:pk>/", views.value_detail, name="value"),
    path("values/<int:pk>/attach/", views.value_attach, name="value-attach"),
    path("values/<int:pk>/reopen/", views.value_reopen, name="value-reopen"),
    path("progress/", views.progress, name="progress"),
    path("progress/<int:measure>/<str:department>/", views.progress_edit, name="progress-edit"),
    path("progress/review/<int:pk>/", views.progress_review, name="progress-review"),
    path("notifications/", views.notifications, name="notifications"),
    path("excel/template/", views.excel_template, name="excel-template"),
    path("excel/upload/", views.excel_upload, name="excel-upload"),
    path("rounds/export/", views.rounds_export, name="rounds-export"),
]
