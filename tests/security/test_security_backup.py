"""`chuangye backup`, `restore` and `audit verify`: a restore gives back every row and file."""

from __future__ import annotations

import io
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from chuangye.cli import main
from chuangye.core.backup import EXCLUDED, database_in_use

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def every_table() -> dict[str, list[tuple[Any, ...]]]:
    """All rows of every concrete table (many-to-many tables too), values of all columns."""
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        opts = model._meta
        if not opts.managed or opts.proxy or opts.label_lower in EXCLUDED:
            continue
        names = [f.attname for f in opts.concrete_fields]
        rows[opts.label_lower] = list(model._base_manager.order_by("pk").values_list(*names))
    return rows


def media_files() -> dict[str, bytes]:
    root = Path(settings.MEDIA_ROOT)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _attach_a_file() -> None:
    """A reporter fills a figure of the open round and attaches a scan to it."""
    from chuangye.accounts.models import Department, User
    from chuangye.plans.models import Plan
    from chuangye.reporting import services
    from chuangye.reporting.duties import duties
    from chuangye.reporting.models import ReportingRound

    plan = Plan.objects.get(is_active=True)
    reporter = User.objects.get(username="reporter_huancui")
    bureau = Department.objects.get(code="371002-rsj")
    rnd = next(r for r in ReportingRound.objects.order_by("-year", "-month") if r.locked_at is None)
    duty = next(d for d in duties(plan, rnd.month, departments={bureau.pk}) if not d.prefilled)
    value = services.save_value(
        indicator=duty.indicator,
        org_unit=duty.org_unit,
        year=rnd.year,
        month=rnd.month,
        value="37",
        note="含 3 名返乡创业人员",
        actor=reporter,
        expected_version=None,
    )
    upload = SimpleUploadedFile("花名册.pdf", PDF, content_type="application/pdf")
    services.add_attachment(value, upload, actor=reporter)


@pytest.fixture
def demo_site(capsys: Any) -> None:
    from rest_framework.authtoken.models import Token

    from chuangye.accounts.models import User

    assert main(["demo"]) == 0
    _attach_a_file()
    Token.objects.create(user=User.objects.get(username="coordinator"))
    capsys.readouterr()


def rewrite(archive: Path, out: Path, change: Callable[[str, bytes], bytes | None]) -> Path:
    """Copy an archive member by member through ``change`` (None drops the member)."""
    with tarfile.open(archive) as src, tarfile.open(out, "w:gz") as dst:
        for member in src:
            handle = src.extractfile(member)
            assert handle is not None
            data = change(member.name, handle.read())
            if data is None:
                continue
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    return out


def wipe() -> None:
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    assert database_in_use() == []


def test_only_login_sessions_are_left_out_of_backups() -> None:
    assert set(EXCLUDED) == {"sessions.session"}


def test_restore_into_an_empty_database_gives_back_every_row_and_file(
    demo_site: None, tmp_path: Path, capsys: Any
) -> None:
    from chuangye.accounts.services import create_user
    from chuangye.core.models import AuditEntry

    before = every_table()
    files = media_files()
    assert any(name.startswith("attachments/") for name in files)
    assert before["reporting.attachment"] and before["authtoken.token"]
    assert len(before["reporting.datavalue"]) > 100 and before["monitoring.fact"]
    archive = tmp_path / "site.tar.gz"

    assert main(["backup", "-o", str(archive)]) == 0
    assert "备份完成" in capsys.readouterr().out
    assert archive.stat().st_mode & 0o077 == 0  # readable by its owner only
    wipe()

    assert main(["restore", str(archive)]) == 0
    assert "恢复完成" in capsys.readouterr().out
    after = every_table()
    assert after.keys() == before.keys()
    for label, rows in before.items():
        if label == "core.auditentry":
            # The restore itself is recorded, chained to the restored log.
            assert after[label][: len(rows)] == rows, label
            assert len(after[label]) == len(rows) + 1
            continue
        assert after[label] == rows, f"{label} differs after restore"
    assert AuditEntry.objects.order_by("-id").first().action == "core.backup.restore"  # type: ignore[union-attr]
    assert media_files() == files

    assert main(["audit", "verify"]) == 0
    assert main(["facts", "check"]) == 0
    # Sequences continue after the restored ids (PostgreSQL): new rows get fresh keys.
    create_user("after_restore", actor=None, password="Another-Passw0rd!")


def test_restore_refuses_a_tampered_archive_and_writes_nothing(
    personas: dict[str, Any], live_round: Any, tmp_path: Path, capsys: Any
) -> None:
    _attach_a_file()
    archive = tmp_path / "site.tar.gz"
    assert main(["backup", "-o", str(archive)]) == 0
    wipe()

    def edit_account(name: str, data: bytes) -> bytes:
        if name == "db/accounts.user.jsonl":
            return data.replace(b'"outsider"', b'"0utsider"', 1)
        return data

    def add_member(name: str, data: bytes) -> bytes:
        return data + b" " if name.startswith("media/") else data

    tampered = [
        rewrite(archive, tmp_path / "account.tar.gz", edit_account),
        rewrite(archive, tmp_path / "file.tar.gz", add_member),
        rewrite(
            archive,
            tmp_path / "dropped.tar.gz",
            lambda name, data: None if name == "db/core.auditentry.jsonl" else data,
        ),
    ]
    corrupt = tmp_path / "corrupt.tar.gz"
    raw = bytearray(archive.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    corrupt.write_bytes(bytes(raw))
    not_an_archive = tmp_path / "notes.tar.gz"
    not_an_archive.write_text("这不是备份", encoding="utf-8")

    for bad in [*tampered, corrupt, not_an_archive, tmp_path / "missing.tar.gz"]:
        assert main(["restore", "--force", str(bad)]) == 2, bad.name
        err = capsys.readouterr().err
        assert err.startswith("错误："), err
        assert database_in_use() == [], bad.name
        assert not Path(settings.MEDIA_ROOT).exists(), bad.name
    assert main(["restore", str(tampered[0])]) == 2
    assert "校验" in capsys.readouterr().err


def test_restore_refuses_members_that_escape_the_archive(
    personas: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    archive = tmp_path / "site.tar.gz"
    assert main(["backup", "-o", str(archive)]) == 0
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(evil, "w:gz") as dst:
        for member in src:
            dst.addfile(member, src.extractfile(member))
        info = tarfile.TarInfo("media/../../escaped.txt")
        info.size = 2
        dst.addfile(info, io.BytesIO(b"hi"))
    assert main(["restore", "--force", str(evil)]) == 2
    assert "不允许" in capsys.readouterr().err
    assert not (tmp_path / "escaped.txt").exists()
    assert not (Path(settings.MEDIA_ROOT).parent.parent / "escaped.txt").exists()


def test_restore_into_a_database_in_use_needs_force(
    personas: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    from chuangye.accounts.services import create_user

    archive = tmp_path / "site.tar.gz"
    assert main(["backup", "-o", str(archive)]) == 0
    create_user("joined_later", actor=None, password="Another-Passw0rd!")
    before = every_table()

    assert main(["restore", str(archive)]) == 2
    assert "--force" in capsys.readouterr().err
    assert every_table() == before

    assert main(["restore", "--force", str(archive)]) == 0
    from chuangye.accounts.models import User

    assert not User.objects.filter(username="joined_later").exists()
    assert User.objects.filter(username="outsider").exists()


def test_backup_to_an_unwritable_place_exits_2_and_leaves_nothing(
    personas: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    assert main(["backup", "-o", str(tmp_path / "no" / "such" / "dir.tar.gz")]) == 2
    assert "目录不存在" in capsys.readouterr().err
    assert main(["backup", "-o", str(tmp_path)]) == 2
    assert "目录" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.tar.gz")) and not list(tmp_path.glob(".chuangye-*"))


def test_audit_verify_names_the_altered_entries(personas: dict[str, Any], capsys: Any) -> None:
    from chuangye.core.models import AuditEntry

    assert main(["audit", "verify"]) == 0
    assert "完整" in capsys.readouterr().out
    victim = AuditEntry.objects.order_by("id")[3]
    # A direct UPDATE (what someone with database access could do) bypasses the model's guard.
    AuditEntry.objects.filter(pk=victim.pk).update(actor_name="someone_else")
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert "被改动" in err and str(victim.pk) in err
