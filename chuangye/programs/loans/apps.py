from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    name = "chuangye.programs.loans"
    label = "loans"
    verbose_name = _("创业担保贷款")

    def ready(self) -> None:
        from chuangye.programs.loans import metrics  # noqa: F401  (registers metrics)
