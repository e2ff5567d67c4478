"""The cockpit's progress rows as an Excel workbook: one builder for the page and the API.

The rows are aggregate figures per target and unit (no personal data), so a download is not
audited, the same as viewing the cockpit; who gets which rows is decided by the caller's scope
before the rows reach here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from urllib.parse import quote

from django.http import HttpResponse
from django.utils.translation import gettext as _

from chuangye.monitoring.progress import Progress

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def progress_workbook(rows: Iterable[Progress], day: dt.date) -> bytes:
    """One sheet, one line per row: unit, target, figures, light, forecast and outlook."""
    from chuangye.reporting.excel import export_table

    headers = [
        _("区划"),
        _("目标"),
        _("单位"),
        _("口径"),
        _("目标值"),
        _("实际"),
        _("序时进度"),
        _("完成率"),
        _("时间进度"),
        _("状态"),
        _("预测"),
        _("研判"),
    ]
    data = (
        (
            r.org_unit.name,
            r.target.text,
            r.target.unit,
            _("年度") if r.scope == "per_year" else _("期末"),
            r.target_value if r.target.comparator != "range" else r.min_value,
            r.actual,
            r.expected,
            None if r.completion is None else round(r.completion * 100, 1),
            round(r.time_elapsed * 100, 1),
            r.status_label,
            r.forecast,
            r.outlook_label,
        )
        for r in rows
    )
    return export_table(f"进度{day.isoformat()}", headers, data)


def progress_filename(day: dt.date) -> str:
    return f"目标进度-{day.isoformat()}.xlsx"


def progress_download(rows: Iterable[Progress], day: dt.date) -> HttpResponse:
    """The workbook as an attachment named after the evaluation day."""
    response = HttpResponse(progress_workbook(rows, day), content_type=XLSX)
    name = quote(progress_filename(day))
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response
