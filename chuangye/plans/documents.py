"""Read a plan file (plan JSON or a document) into plan JSON plus the text its offsets refer to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chuangye.plans.contract import PlanContractError, validate_plan_json
from chuangye.plans.parsing import PlanParseError, parse_text
from chuangye.plans.parsing.readers import MAX_BYTES, extract_file


def read_plan_file(path: Path) -> tuple[dict[str, Any], str]:
    """Return (plan JSON, source text); PlanParseError or ValueError carry a Chinese message."""
    if path.suffix.lower() == ".json":
        if path.stat().st_size > MAX_BYTES:
            raise PlanParseError("文件超过 20 MB")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            raise ValueError("JSON 文件不是 UTF-8 编码") from None
        except RecursionError:
            raise ValueError("JSON 嵌套层级过深") from None
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"JSON 格式错误（第 {exc.lineno} 行第 {exc.colno} 列）：{exc.msg}"
            ) from None
        try:
            validate_plan_json(data)
        except PlanContractError as exc:
            raise ValueError("方案 JSON 不符合约定：" + "；".join(exc.errors[:20])) from None
        sibling = path.with_suffix(".txt")
        text = sibling.read_text(encoding="utf-8") if sibling.exists() else ""
        return data, text
    extracted = extract_file(path)
    return parse_text(extracted.text, wrapped=extracted.wrapped), extracted.text
