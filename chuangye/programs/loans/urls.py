from django.urls import path

from chuangye.programs.loans import views

app_name = "loans"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("apply/", views.apply, name="apply"),
    path("mine/", views.mine, name="mine"),
    path("new/", views.staff_new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/act/", views.act, name="act"),
    path("<int:pk>/resubmit/", views.resubmit, name="resubmit"),
    path("<int:pk>/disburse/", views.disburse, name="disburse"),
    path("<int:pk>/event/", views.loan_event, name="event"),
    path("<int:pk>/unmask/", views.unmask, name="unmask"),
    path("<int:pk>/materials/<int:mid>/", views.material, name="material"),
    path("<int:pk>/schedule/", views.schedule, name="schedule"),
    path("subsidies/", views.subsidies, name="subsidies"),
    path("subsidies/claim/", views.claim, name="claim"),
    path("subsidies/pay/", views.pay, name="pay"),
    path("import/", views.import_view, name="import"),
    path("import/template/", views.import_template, name="import-template"),
    path("policy/", views.policy, name="policy"),
    path("policy/new/", views.policy_edit, name="policy-new"),
    path("policy/<int:pk>/", views.policy_edit, name="policy-edit"),
    path("lpr/new/", views.lpr_edit, name="lpr-new"),
    path("lpr/<int:pk>/", views.lpr_edit, name="lpr-edit"),
]
