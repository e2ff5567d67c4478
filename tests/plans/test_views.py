from typing import Any

import pytest

from chuangye.plans.models import Measure, Plan

pytestmark = pytest.mark.django_db

STAFF = ["coordinator", "leader", "reporter_huancui", "approver_huancui", "reporter_rsj", "admin"]


@pytest.mark.parametrize("username", STAFF)
def test_plan_page_shows_sections_measures_and_preamble_targets(
    login: Any, plan: Plan, username: str
) -> None:
    response = login(username).get("/plan/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "实施创业市场环境“暖心计划”" in body
    assert "丰富多元创业赛事活动" in body
    assert "到2026年，全市扶持创业1.9万人以上" in body
    assert body.count('class="mtitle"') == 24


@pytest.mark.parametrize("username", ["outsider", "entrepreneur", "auditor"])
def test_plan_pages_are_hidden_from_people_outside_the_plan(
    login: Any, plan: Plan, username: str
) -> None:
    client = login(username)
    measure = Measure.objects.get(plan=plan, number=1)
    for url in ["/plan/", f"/measures/{measure.pk}/", "/departments/rsj/", "/districts/371002/"]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "持续优化创业环境" not in response.content.decode()


def test_anonymous_is_sent_to_login(client: Any, plan: Plan) -> None:
    response = client.get("/plan/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_measure_page_shows_full_text_roles_and_targets(login: Any, plan: Plan) -> None:
    measure = Measure.objects.get(plan=plan, number=20)
    body = login("coordinator").get(f"/measures/{measure.pk}/").content.decode()
    assert "强化创业导师服务" in body
    assert "创业导师库不少于150人" in body
    assert "市人力资源社会保障局" in body and "牵头" in body
    assert "≥150 人" in body


def test_department_page_separates_lead_and_cooperating(login: Any, plan: Plan) -> None:
    body = login("coordinator").get("/departments/fgw/").content.decode()
    assert "市发展改革委" in body
    lead_part, coop_part = body.split("配合 <span", 1)
    assert "引导天使投资助力创业" not in body  # 市财政局 leads that one
    assert "支持创投风投助力创业" in lead_part  # measure 9: 市发展改革委牵头
    assert "鼓励创业环境优化“揭榜挂帅”" in coop_part  # measure 2: cooperating


def test_department_reporter_sees_own_department_only(login: Any, plan: Plan) -> None:
    client = login("reporter_rsj")
    assert client.get("/departments/rsj/").status_code == 200
    assert client.get("/departments/fgw/").status_code == 404
    assert client.get("/districts/371002/").status_code == 404


def test_district_reporter_sees_own_district_not_another(login: Any, plan: Plan) -> None:
    client = login("reporter_wendeng")
    own = client.get("/districts/371003/")
    assert own.status_code == 200
    assert "文登区" in own.content.decode()
    other = client.get("/districts/371002/")
    assert other.status_code == 404
    assert "环翠区人社局" not in other.content.decode()


def test_district_list_is_scoped(login: Any, plan: Plan) -> None:
    leader_body = login("leader").get("/districts/").content.decode()
    for name in [
        "环翠区",
        "文登区",
        "荣成市",
        "乳山市",
        "威海火炬高技术产业开发区",
        "威海综合保税区",
    ]:
        assert name in leader_body
    huancui_body = login("reporter_huancui").get("/districts/").content.decode()
    assert "环翠区" in huancui_body and "文登区" not in huancui_body


def test_district_page_lists_its_bureaus_and_staff(login: Any, plan: Plan) -> None:
    body = login("coordinator").get("/districts/371002/").content.decode()
    assert "环翠区人社局" in body
    assert "演示·环翠区填报员" in body
    assert "演示·文登区填报员" not in body


@pytest.mark.parametrize(
    ("username", "marker"),
    [
        ("coordinator", "个市直责任部门"),
        ("leader", "个市直责任部门"),
        ("reporter_huancui", "环翠区人社局 承担的措施"),
        ("reporter_rsj", "市人力资源社会保障局 承担的措施"),
        ("auditor", "最近的操作记录"),
        ("entrepreneur", "创业威海 · 扬帆未来"),
        ("outsider", "尚未分配角色"),
    ],
)
def test_home_page_fits_the_role(login: Any, plan: Plan, username: str, marker: str) -> None:
    response = login(username).get("/")
    assert response.status_code == 200
    assert marker in response.content.decode()


def test_audit_log_is_for_auditors_only(login: Any, plan: Plan) -> None:
    body = login("auditor").get("/audit/", {"action": "plans."}).content.decode()
    assert "plans.plan.import" in body
    assert login("coordinator").get("/audit/").status_code == 404


def test_unknown_url_gets_a_chinese_404_page(login: Any, plan: Plan) -> None:
    response = login("coordinator").get("/no/such/page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_pages_send_a_strict_content_security_policy(login: Any, plan: Plan) -> None:
    response = login("coordinator").get("/plan/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert "<script>" not in response.content.decode()


def test_login_page_is_chinese_and_logs_in(client: Any, personas: dict[str, Any]) -> None:
    page = client.get("/login/")
    assert "用户名" in page.content.decode()
    response = client.post("/login/", {"username": "leader", "password": "Test-Passw0rd!"})
    assert response.status_code == 302
    assert "演示·市领导" in client.get("/").content.decode()


def test_wrong_password_is_refused_in_chinese(client: Any, personas: dict[str, Any]) -> None:
    response = client.post("/login/", {"username": "leader", "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_admin_is_chinese_and_manages_memberships(login: Any, plan: Plan) -> None:
    client = login("admin")
    index = client.get("/admin/")
    assert "创业威海 后台管理" in index.content.decode()
    page = client.get("/admin/accounts/membership/")
    assert page.status_code == 200
    assert "角色授权" in page.content.decode()
    assert login("coordinator").get("/admin/").status_code == 302


def test_admin_grant_of_a_role_is_audited(login: Any, personas: dict[str, Any]) -> None:
    from chuangye.accounts.models import Department, Membership
    from chuangye.core.models import AuditEntry

    outsider = personas["outsider"]
    department = Department.objects.get(code="371003-rsj")
    response = login("admin").post(
        "/admin/accounts/membership/add/",
        {"user": outsider.pk, "role": "reporter", "department": department.pk, "active": "on"},
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=outsider, department=department).exists()
    entry = AuditEntry.objects.filter(action="admin.accounts.membership.create").get()
    assert entry.actor_name == "admin"
    assert login("outsider").get("/districts/371003/").status_code == 200


def test_pages_are_chinese_whatever_the_browser_says_until_english_is_chosen(
    login: Any, plan: Plan
) -> None:
    client = login("coordinator")
    page = client.get("/plan/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "行动方案" in page and "Action plan" not in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/plan/"})
    english = client.get("/plan/").content.decode()
    assert "Action plan" in english
