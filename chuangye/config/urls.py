from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from chuangye.core import views as core_views

admin.site.site_header = _("创业威海 后台管理")
admin.site.site_title = _("创业威海")
admin.site.index_title = _("后台管理")

urlpatterns = [
    path("", core_views.home, name="home"),
    path("", include("chuangye.accounts.urls")),
    path("audit/", core_views.audit_log, name="audit-log"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("chuangye.plans.urls")),
    path("reporting/", include("chuangye.reporting.urls")),
    path("", include("chuangye.monitoring.urls")),
    path("documents/", include("chuangye.documents.urls")),
    path("programs/entrepreneurs/", include("chuangye.programs.entrepreneurs.urls")),
    path("programs/loans/", include("chuangye.programs.loans.urls")),
    path("api/", include("chuangye.config.api")),
    path("admin/", admin.site.urls),
]

handler400 = "chuangye.core.views.bad_request"
handler403 = "chuangye.core.views.permission_denied"
handler404 = "chuangye.core.views.page_not_found"
handler500 = "chuangye.core.views.server_error"
