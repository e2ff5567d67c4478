"""Upload a plan document, review the draft beside its text, correct it, import it."""

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chuangye.plans.models import Plan, PlanDraft

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
WEIHAI_TXT = ROOT / "data" / "plans" / "weihai-2025-8.txt"


def _upload(client: Any, name: str, content: bytes) -> Any:
    return client.post("/plan/upload/", {"document": SimpleUploadedFile(name, content)})


def test_coordinator_uploads_the_weihai_text_and_sees_the_draft(login: Any, personas: Any) -> None:
    client = login("coordinator")
    response = _upload(client, "weihai.txt", WEIHAI_TXT.read_bytes())
    assert response.status_code == 302
    draft = PlanDraft.objects.get()
    assert response["Location"] == f"/plan/drafts/{draft.pk}/"
    assert len(draft.data["measures"]) == 24
    page = client.get(response["Location"]).content.decode()
    assert page.count('<mark class="measure"') >= 24
    assert 'id="src-t0"' in page  # the first preamble target is anchored in the text
    assert "到2026年，全市扶持创业1.9万人以上" in page
    assert '<mark class="bracket measure">' in page


def test_review_shows_what_changed_against_the_current_version(login: Any, plan: Plan) -> None:
    client = login("coordinator")
    text = WEIHAI_TXT.read_text(encoding="utf-8").replace(
        "建设市级创业导师工作室 40 个", "建设市级创业导师工作室 45 个"
    )
    _upload(client, "weihai-v2.txt", text.encode())
    draft = PlanDraft.objects.get()
    page = client.get(f"/plan/drafts/{draft.pk}/").content.decode()
    assert "与 威海市“创业威海”行动方案（威政办字〔2025〕8号） 第 1 版相比" in page
    assert "=40个 → =45个" in page


def test_import_as_new_version_supersedes_the_active_plan(login: Any, plan: Plan) -> None:
    client = login("coordinator")
    _upload(client, "weihai.txt", WEIHAI_TXT.read_bytes())
    draft = PlanDraft.objects.get()
    response = client.post(
        f"/plan/drafts/{draft.pk}/import/", {"supersedes": plan.pk, "activate": "on"}
    )
    assert response.status_code == 302
    new = Plan.objects.get(is_active=True)
    assert (new.version, new.supersedes) == (2, plan)
    assert new.measures.count() == 24 and new.targets.count() == 22
    draft.refresh_from_db()
    assert draft.status == "imported" and draft.plan == new
    again = client.post(f"/plan/drafts/{draft.pk}/import/", {"activate": "on"})
    assert again.status_code == 400
    assert Plan.objects.count() == 2


def test_correction_is_validated_and_saved(login: Any, personas: Any) -> None:
    client = login("coordinator")
    _upload(client, "weihai.txt", WEIHAI_TXT.read_bytes())
    draft = PlanDraft.objects.get()
    data = json.loads(json.dumps(draft.data))
    data["measures"][0]["responsibilities"][0]["role"] = "boss"
    bad = client.post(f"/plan/drafts/{draft.pk}/edit/", {"plan_json": json.dumps(data)})
    assert bad.status_code == 400
    assert "measures[0].responsibilities[0].role" in bad.content.decode()
    draft.refresh_from_db()
    assert draft.data["measures"][0]["responsibilities"][0]["role"] == "joint"
    data["measures"][0]["responsibilities"][0]["role"] = "lead"
    ok = client.post(f"/plan/drafts/{draft.pk}/edit/", {"plan_json": json.dumps(data)})
    assert ok.status_code == 302
    draft.refresh_from_db()
    assert draft.data["measures"][0]["responsibilities"][0]["role"] == "lead"
    broken = client.post(f"/plan/drafts/{draft.pk}/edit/", {"plan_json": "{not json"})
    assert "JSON 格式错误" in broken.content.decode()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "空文件"),
        ("garbage.pdf", bytes(range(256)) * 40, ""),
        ("notes.txt", "会议纪要\n今天天气很好。".encode(), "未找到编号的措施"),
        ("sheet.xlsx", b"PK\x03\x04", "不支持的文件类型"),
    ],
)
def test_bad_uploads_are_refused_in_chinese_and_write_nothing(
    login: Any, personas: Any, name: str, content: bytes, message: str
) -> None:
    response = _upload(login("coordinator"), name, content)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="upload-errors"' in body
    assert message in body
    assert PlanDraft.objects.count() == 0


def test_unknown_department_is_flagged_for_review(login: Any, personas: Any) -> None:
    text = WEIHAI_TXT.read_text(encoding="utf-8").replace("市委组织部牵头", "市海洋发展局牵头")
    client = login("coordinator")
    _upload(client, "weihai.txt", text.encode())
    draft = PlanDraft.objects.get()
    page = client.get(f"/plan/drafts/{draft.pk}/").content.decode()
    assert "“市海洋发展局”不在部门名录中" in page


@pytest.mark.parametrize("username", ["leader", "reporter_huancui", "outsider", "entrepreneur"])
def test_only_the_coordinator_reaches_upload_and_drafts(
    login: Any, personas: Any, username: str
) -> None:
    coordinator = login("coordinator")
    _upload(coordinator, "weihai.txt", WEIHAI_TXT.read_bytes())
    draft = PlanDraft.objects.get()
    client = login(username)
    assert client.get("/plan/upload/").status_code == 404
    assert client.get(f"/plan/drafts/{draft.pk}/").status_code == 404
    assert client.post(f"/plan/drafts/{draft.pk}/import/", {"activate": "on"}).status_code == 404
    assert _upload(client, "weihai.txt", WEIHAI_TXT.read_bytes()).status_code == 404
    assert PlanDraft.objects.count() == 1 and Plan.objects.count() == 1
