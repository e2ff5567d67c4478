"""``GET /api/v1/plan-drafts/{id}/segments``: the review page's highlighted source text."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from chuangye.plans import services
from chuangye.plans.models import Plan, PlanDraft
from chuangye.plans.review import highlight, unknown_departments
from chuangye.plans.selectors import plan_as_json
from tests.conftest import BUNDLED_TEXT

pytestmark = pytest.mark.django_db


def _api(personas: dict[str, Any], username: str | None) -> APIClient:
    client = APIClient()
    if username:
        client.force_authenticate(personas[username])
    return client


def _uploaded(personas: dict[str, Any]) -> PlanDraft:
    response = _api(personas, "coordinator").post(
        "/api/v1/plan-drafts",
        {"document": SimpleUploadedFile("方案.txt", BUNDLED_TEXT.read_bytes())},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return PlanDraft.objects.get(pk=response.json()["id"])


def _as_tuples(segments: list[dict[str, Any]]) -> list[tuple[str, str, str, int, int]]:
    return [(s["text"], " ".join(s["kinds"]), s["anchor"], s["start"], s["end"]) for s in segments]


def test_segments_are_the_highlighted_source_text(personas: dict[str, Any], plan: Plan) -> None:
    draft = _uploaded(personas)
    response = _api(personas, "coordinator").get(f"/api/v1/plan-drafts/{draft.pk}/segments")
    assert response.status_code == 200
    body = response.json()
    segments = body["segments"]
    expected = highlight(draft.source_text, draft.data)
    assert _as_tuples(segments) == [(s.text, s.classes, s.anchor, s.start, s.end) for s in expected]
    # Together they are the whole text, in order, without gap or overlap.
    assert "".join(s["text"] for s in segments) == draft.source_text
    assert body["length"] == len(draft.source_text) == segments[-1]["end"]
    assert segments[0]["start"] == 0
    for before, after in pairwise(segments):
        assert before["end"] == after["start"]
    for s in segments:
        assert draft.source_text[s["start"] : s["end"]] == s["text"]
    kinds = {k for s in segments for k in s["kinds"]}
    assert kinds == {"measure", "bracket", "target"}
    anchors = {s["anchor"] for s in segments if s["anchor"]}
    assert {f"m{m['number']}" for m in draft.data["measures"] if m.get("source")} <= anchors
    assert body["source_name"] == "方案.txt" and body["id"] == draft.pk


def test_segments_match_the_review_page(login: Any, personas: dict[str, Any], plan: Plan) -> None:
    draft = _uploaded(personas)
    page = login("coordinator").get(f"/plan/drafts/{draft.pk}/")
    assert page.status_code == 200
    shown = [(s.text, s.classes, s.anchor) for s in page.context["segments"]]
    body = _api(personas, "coordinator").get(f"/api/v1/plan-drafts/{draft.pk}/segments").json()
    assert [t[:3] for t in _as_tuples(body["segments"])] == shown
    unknown = [(u["measure"], u["department"]) for u in body["unknown_departments"]]
    assert unknown == list(page.context["unknown"])


def test_unknown_departments_name_the_measure_and_the_printed_name(
    personas: dict[str, Any], plan: Plan
) -> None:
    data = plan_as_json(plan)
    first = data["measures"][0]
    first["responsibilities"] = [
        *first["responsibilities"],
        {"department": "市未来发展局", "role": "cooperating"},
    ]
    draft = services.create_draft(
        data, actor=personas["coordinator"], source_text="", source_name="修订稿.json"
    )
    assert unknown_departments(draft.data) == [(first["number"], "市未来发展局")]
    expected = [{"measure": first["number"], "department": "市未来发展局"}]
    client = _api(personas, "coordinator")
    assert client.get(f"/api/v1/plan-drafts/{draft.pk}").json()["unknown_departments"] == expected
    body = client.get(f"/api/v1/plan-drafts/{draft.pk}/segments").json()
    assert body["unknown_departments"] == expected
    assert body["segments"] == [] and body["length"] == 0  # no source text: nothing to cut


def test_offsets_out_of_range_or_missing_still_cover_the_text(
    personas: dict[str, Any], plan: Plan
) -> None:
    text = "一、总体目标。新增创业者1000人。（市人社局牵头）"
    data = {
        "title": "测试",
        "sections": [],
        "measures": [
            {"number": 1, "source": {"start": 7, "end": 999}, "targets": [{"source": None}]},
            {"number": 2, "source": {"start": "x", "end": 3}},
        ],
        "targets": [{"source": {"start": 7, "end": 17}}],
    }
    draft = services.create_draft(
        data, actor=personas["coordinator"], source_text=text, source_name="t.txt"
    )
    body = _api(personas, "coordinator").get(f"/api/v1/plan-drafts/{draft.pk}/segments").json()
    assert "".join(s["text"] for s in body["segments"]) == text
    assert _as_tuples(body["segments"]) == [
        (s.text, s.classes, s.anchor, s.start, s.end) for s in highlight(text, data)
    ]
    assert {"bracket", "measure"} <= {k for s in body["segments"] for k in s["kinds"]}


def test_segments_are_the_coordinators_like_the_drafts(
    personas: dict[str, Any], plan: Plan
) -> None:
    draft = services.create_draft(
        {"title": "待审方案", "sections": [], "measures": [], "targets": []},
        actor=personas["coordinator"],
        source_text="待审",
        source_name="待审.txt",
    )
    url = f"/api/v1/plan-drafts/{draft.pk}/segments"
    assert _api(personas, "admin").get(url).status_code == 200
    for name in ("leader", "reporter_huancui", "outsider", "entrepreneur", "auditor"):
        response = _api(personas, name).get(url)
        assert response.status_code == 404 and response.json()["code"]
    anonymous = _api(personas, None).get(url)
    assert anonymous.status_code in (401, 403) and anonymous.json()["message"]
    missing = _api(personas, "coordinator").get("/api/v1/plan-drafts/999999/segments")
    assert missing.status_code == 404
    # Set aside, a draft can still be read beside its document, as on the page.
    services.discard_draft(draft, actor=personas["coordinator"])
    body = _api(personas, "coordinator").get(url).json()
    assert [s["text"] for s in body["segments"]] == ["待审"]
