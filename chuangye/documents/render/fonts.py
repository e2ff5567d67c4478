"""The Chinese font embedded in PDFs and charts (WenQuanYi Zen Hei, Debian fonts-wqy-zenhei).

Word files name fonts instead (仿宋_GB2312, 宋体, 黑体) and the reader's Word or WPS supplies
them; PDF and chart images must carry the glyphs, so a real font file is needed here.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

from chuangye.documents.errors import DocumentError

FAMILY = "WenQuanYi Zen Hei"
#: Environment variable naming another TrueType font file with Chinese glyphs.
ENV_VAR = "CHUANGYE_CJK_FONT"
KNOWN_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/local/share/fonts/wqy-zenhei.ttc",
    "/opt/homebrew/share/fonts/wqy-zenhei.ttc",
)
REPORTLAB_NAME = "CJK"


class FontMissing(DocumentError):
    """No usable Chinese font file on this machine."""


def _from_fontconfig() -> str | None:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        found = subprocess.run(  # noqa: S603 - fixed arguments, no user input
            [fc_match, "-f", "%{family}|%{file}", FAMILY],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    family, _, path = found.partition("|")
    # fc-match answers with a fallback font when the family is absent: check it is the one.
    if FAMILY.lower() in family.lower() and Path(path).is_file():
        return path
    return None


@functools.cache
def font_path() -> str:
    """Path of the Chinese font file, or :class:`FontMissing` with how to install one."""
    override = os.environ.get(ENV_VAR)
    if override:
        if Path(override).is_file():
            return override
        raise FontMissing(f"环境变量 {ENV_VAR} 指向的字体文件不存在：{override}")
    for candidate in KNOWN_PATHS:
        if Path(candidate).is_file():
            return candidate
    found = _from_fontconfig()
    if found:
        return found
    raise FontMissing(
        "未找到中文字体“文泉驿正黑”（WenQuanYi Zen Hei），无法生成 PDF 和图表。"
        "请安装 Debian 软件包 fonts-wqy-zenhei（apt-get install fonts-wqy-zenhei），"
        f"或用环境变量 {ENV_VAR} 指定一个含中文字形的 TrueType 字体文件。"
    )


@functools.cache
def reportlab_font() -> str:
    """Register the font with reportlab once; return its name there."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = font_path()
    options = {"subfontIndex": 0} if path.lower().endswith(".ttc") else {}
    pdfmetrics.registerFont(TTFont(REPORTLAB_NAME, path, **options))
    return REPORTLAB_NAME
