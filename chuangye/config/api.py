"""The API router (``/api/v1/``), schema and locally served docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from chuangye.accounts import api as accounts_api
from chuangye.core import api as core_api
from chuangye.documents import api as documents_api
from chuangye.monitoring import api as monitoring_api
from chuangye.plans import allocation_api
from chuangye.plans import api as plans_api
from chuangye.programs.entrepreneurs import api as entrepreneurs_api
from chuangye.programs.loans import api as loans_api
from chuangye.reporting import api as reporting_api


class OptionalSlashRouter(DefaultRouter):
    """Accept paths with or without the trailing slash (the contract writes none)."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("plans", plans_api.PlanViewSet, basename="plan")
router.register("plan-drafts", plans_api.PlanDraftViewSet, basename="plan-draft")
router.register("measures", plans_api.MeasureViewSet, basename="measure")
router.register("targets", plans_api.TargetViewSet, basename="target")
router.register("org-units", accounts_api.OrgUnitViewSet, basename="org-unit")
router.register("departments", accounts_api.DepartmentViewSet, basename="department")
router.register("audit-entries", core_api.AuditEntryViewSet, basename="audit-entry")
router.register("persons", entrepreneurs_api.PersonViewSet, basename="person")
router.register("ventures", entrepreneurs_api.VentureViewSet, basename="venture")
router.register("support-records", entrepreneurs_api.SupportViewSet, basename="support-record")
router.register("job-records", entrepreneurs_api.JobViewSet, basename="job-record")
router.register("data-values", reporting_api.DataValueViewSet, basename="data-value")
router.register("rounds", reporting_api.RoundViewSet, basename="round")
router.register("progress-updates", reporting_api.ProgressViewSet, basename="progress-update")
router.register("allocations", allocation_api.AllocationViewSet, basename="allocation")
router.register("notifications", reporting_api.NotificationViewSet, basename="notification")
router.register("loan-applications", loans_api.LoanApplicationViewSet, basename="loan-application")
router.register("loan-subsidies", loans_api.SubsidyClaimViewSet, basename="loan-subsidy")
router.register("loan-lpr-rates", loans_api.LprRateViewSet, basename="loan-lpr-rate")
router.register("loan-policies", loans_api.LoanPolicyViewSet, basename="loan-policy")
router.register("bulletins", documents_api.BulletinViewSet, basename="bulletin")
router.register("supervision-notices", documents_api.NoticeViewSet, basename="supervision-notice")
router.register("assessments", documents_api.AssessmentViewSet, basename="assessment")

urlpatterns = [
    path("v1/auth/token", accounts_api.TokenView.as_view(), name="api-token"),
    path("v1/auth/token/revoke", accounts_api.revoke_token, name="api-token-revoke"),
    path("v1/me", accounts_api.me, name="api-me"),
    path("v1/progress", monitoring_api.progress, name="api-progress"),
    path(
        "v1/progress/export",
        monitoring_api.ProgressExport.as_view(),
        name="api-progress-export",
    ),
    path("v1/cockpit/targets/<int:pk>", monitoring_api.target_detail, name="api-cockpit-target"),
    path("v1/cockpit/chain", monitoring_api.delivery_chain, name="api-cockpit-chain"),
    path(
        "v1/cockpit/departments/<str:code>",
        monitoring_api.department_board,
        name="api-cockpit-department",
    ),
    path("v1/board", monitoring_api.board, name="api-board"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]
