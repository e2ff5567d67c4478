import json
from pathlib import Path
from typing import Any

import pytest

from chuangye.cli import main
from chuangye.plans.models import Plan

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "data" / "plans" / "weihai-2025-8.json"


def test_plan_import_then_show_prints_the_contract(
    capsys: Any, weihai_json: dict[str, Any]
) -> None:
    assert main(["plan", "import", str(BUNDLED)]) == 0
    out = capsys.readouterr().out
    assert "24 项措施" in out and "22 个目标" in out
    assert main(["plan", "show", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    weihai_json = dict(weihai_json)
    weihai_json.pop("warnings", None)
    assert shown == weihai_json


def test_plan_show_text_lists_measures_with_roles(capsys: Any) -> None:
    main(["plan", "import", str(BUNDLED)])
    capsys.readouterr()
    assert main(["plan", "show"]) == 0
    out = capsys.readouterr().out
    assert "7、实施创业文化生态“涵养计划”" in out
    assert "市人力资源社会保障局(lead)" in out


def test_plan_show_without_a_plan_exits_2(capsys: Any) -> None:
    assert main(["plan", "show", "--format", "json"]) == 2
    assert "尚未导入" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"title": "x", "sections": [], "measures": []}', "measures"),
        ('{"title": ', "JSON 格式错误"),
    ],
)
def test_plan_import_refuses_bad_json_with_exit_2(
    tmp_path: Path, capsys: Any, content: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    assert main(["plan", "import", str(path)]) == 2
    assert message in capsys.readouterr().err
    assert Plan.objects.count() == 0


def test_plan_import_refuses_negative_target_naming_the_field(
    tmp_path: Path, capsys: Any, weihai_json: dict[str, Any]
) -> None:
    data = json.loads(json.dumps(weihai_json))
    data["measures"][19]["targets"][1]["value"] = -150
    path = tmp_path / "neg.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert main(["plan", "import", str(path)]) == 2
    assert "measures[19].targets[1].value" in capsys.readouterr().err
    assert Plan.objects.count() == 0


def test_plan_import_missing_file_exits_2(capsys: Any) -> None:
    assert main(["plan", "import", "/no/such/file.json"]) == 2
    assert "找不到文件" in capsys.readouterr().err


def test_demo_is_idempotent_and_creates_the_personas(capsys: Any) -> None:
    from chuangye.accounts.models import Membership, User

    assert main(["demo", "--seed", "7"]) == 0
    users, memberships = User.objects.count(), Membership.objects.count()
    assert main(["demo", "--seed", "7"]) == 0
    assert (User.objects.count(), Membership.objects.count()) == (users, memberships)
    out = capsys.readouterr().out
    for name in [
        "coordinator",
        "leader",
        "reporter_huancui",
        "approver_huancui",
        "reporter_wendeng",
        "reporter_rsj",
        "auditor",
        "entrepreneur",
    ]:
        assert name in out
        assert User.objects.get(username=name).has_usable_password()
    assert Plan.objects.filter(is_active=True).count() == 1


def test_demo_scale_multiplies_district_staff() -> None:
    from chuangye.accounts.models import User

    main(["demo", "--scale", "1"])
    base = User.objects.filter(username__startswith="staff_").count()
    main(["demo", "--scale", "3"])
    assert User.objects.filter(username__startswith="staff_").count() == base * 2
