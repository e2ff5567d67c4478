from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EntrepreneursConfig(AppConfig):
    name = "chuangye.programs.entrepreneurs"
    label = "entrepreneurs"
    verbose_name = _("创业者与创业实体")

    def ready(self) -> None:
        from chuangye.programs.entrepreneurs import metrics  # noqa: F401  (registers metrics)
