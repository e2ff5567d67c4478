"""Consistent backup and all-or-nothing restore of the database and the uploaded files.

An archive (``.tar.gz``) holds one JSON-lines file per table (``db/<app>.<model>.jsonl``), the
files under ``MEDIA_ROOT`` (``media/…``) and ``manifest.json``: format version, creation time,
the schema (migrations and each table's columns), row counts and the SHA-256 of every member.

The database is read inside one read-only transaction (REPEATABLE READ on PostgreSQL, a WAL
snapshot on SQLite), so the tables agree with each other even while the site is in use. Values
are written at full precision (microseconds included): the audit chain hashes its timestamps.
Restore checks every checksum before it touches anything, then empties the database and loads
all tables in one transaction, so it either completes or leaves the database as it was.

Encrypted personal data stays encrypted: it is stored as ciphertext and copied as such, so the
field keys (``CHUANGYE_FIELD_KEYS`` or the data directory's ``field_keys``) must be kept with the
deployment, separately from the archives.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.management.sql import sql_flush
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.duration import duration_string

FORMAT = "chuangye-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_PREFIX = "db/"
MEDIA_PREFIX = "media/"
CHUNK_ROWS = 2000
INSERT_BATCH = 500

#: Tables left out of every backup, with the reason.
EXCLUDED = {
    "sessions.session": "登录会话是临时数据；恢复后所有人重新登录",
}
#: Tables that ``migrate`` fills by itself: rows there do not make a database "in use".
BOOKKEEPING = frozenset({"contenttypes.contenttype", "auth.permission"})


class BackupError(Exception):
    """The backup or restore cannot go ahead; the message is for the operator (Chinese)."""


class ProgressBar(Protocol):
    """What the functions report progress to (a tqdm bar fits)."""

    total: Any

    def update(self, n: float | None = 1) -> Any: ...

    def refresh(self) -> Any: ...


class _NoProgress:
    total: Any = 0

    def update(self, n: float | None = 1) -> None:
        return None

    def refresh(self) -> None:
        return None


@dataclass
class Summary:
    """What a backup holds or what a restore loaded."""

    path: Path
    created_at: str
    tables: int
    rows: int
    files: int
    media_bytes: int
    counts: dict[str, int] = field(default_factory=dict)
    audited: bool = True


# --- which tables --------------------------------------------------------------------------------


def backed_up_models() -> list[type[models.Model]]:
    """Every concrete table of every installed app (many-to-many tables included) but EXCLUDED."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        opts = model._meta
        if not opts.managed or opts.proxy or opts.swapped:
            continue
        if opts.label_lower in EXCLUDED:
            continue
        found.append(model)
    return sorted(found, key=lambda m: m._meta.label_lower)


def _columns(model: type[models.Model]) -> list[Any]:
    return list(model._meta.concrete_fields)


def _member(model: type[models.Model]) -> str:
    return f"{DB_PREFIX}{model._meta.label_lower}.jsonl"


def _migrations(alias: str) -> dict[str, str]:
    """The latest applied migration of each app (the schema the data belongs to)."""
    latest: dict[str, str] = {}
    for app, name in sorted(MigrationRecorder(connections[alias]).applied_migrations()):
        latest[app] = name
    return latest


def _app_version() -> str:
    try:
        return metadata.version("chuangye")
    except metadata.PackageNotFoundError:
        return "unknown"


# --- values to and from JSON ---------------------------------------------------------------------


def _encode(value: Any) -> Any:
    """JSON for the non-JSON values a table yields, at full precision."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.timedelta):
        return duration_string(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    raise TypeError(f"cannot store {type(value).__name__} in a backup")


def _decode(column: Any, value: Any) -> Any:
    return None if value is None else column.to_python(value)


# --- backup --------------------------------------------------------------------------------------


@contextlib.contextmanager
def _snapshot(alias: str) -> Iterator[None]:
    """One read-only transaction whose reads all see the same moment of the database."""
    connection = connections[alias]
    if connection.in_atomic_block:
        raise BackupError("不能在已打开的事务中备份")
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        # The project opens SQLite transactions IMMEDIATE (a write lock); a backup only reads,
        # and a deferred transaction in WAL mode is a snapshot that blocks no writer.
        mode = connection.transaction_mode  # type: ignore[attr-defined]
        connection.transaction_mode = "DEFERRED"  # type: ignore[attr-defined]
        try:
            with transaction.atomic(using=alias):
                yield
        finally:
            connection.transaction_mode = mode  # type: ignore[attr-defined]
        return
    with transaction.atomic(using=alias):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


class _HashingWriter:
    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.sha.update(data)
        self.size += len(data)
        self.out.write(data)


class _HashingReader:
    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.sha = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.source.read(n)
        self.sha.update(data)
        return data


def _dump_table(
    model: type[models.Model], path: Path, alias: str, bar: ProgressBar
) -> dict[str, Any]:
    columns = _columns(model)
    names = [c.attname for c in columns]
    rows = 0
    with path.open("wb") as raw:
        out = _HashingWriter(raw)
        qs = model._base_manager.using(alias).order_by("pk").values_list(*names)
        for row in qs.iterator(chunk_size=CHUNK_ROWS):
            line = json.dumps(list(row), ensure_ascii=False, default=_encode, separators=(",", ":"))
            out.write(line.encode() + b"\n")
            rows += 1
            if rows % CHUNK_ROWS == 0:
                bar.update(CHUNK_ROWS)
        bar.update(rows % CHUNK_ROWS)
    return {
        "label": model._meta.label_lower,
        "table": model._meta.db_table,
        "member": _member(model),
        "fields": names,
        "rows": rows,
        "sha256": out.sha.hexdigest(),
        "size": out.size,
    }


def _media_files(media_root: Path) -> list[tuple[Path, str]]:
    """Regular files under MEDIA_ROOT with their archive names (symbolic links are skipped)."""
    if not media_root.is_dir():
        return []
    files = []
    for folder, dirs, names in os.walk(media_root):
        dirs.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue
            files.append((path, MEDIA_PREFIX + path.relative_to(media_root).as_posix()))
    return files


def create_backup(
    output: Path, *, progress: ProgressBar | None = None, alias: str = DEFAULT_DB_ALIAS
) -> Summary:
    """Write a backup archive to ``output`` (replaced atomically; nothing is left on failure)."""
    bar: ProgressBar = progress or _NoProgress()
    output = Path(output).absolute()
    media_root = Path(settings.MEDIA_ROOT).resolve()
    if not output.parent.is_dir():
        raise BackupError(f"目录不存在：{output.parent}")
    if not os.access(output.parent, os.W_OK):
        raise BackupError(f"没有写入权限：{output.parent}")
    if output.is_dir():
        raise BackupError(f"{output} 是一个目录，请给出备份文件名")
    if output.resolve().is_relative_to(media_root):
        raise BackupError("备份文件不能放在上传文件目录中")

    models_ = backed_up_models()
    with tempfile.TemporaryDirectory(prefix=".chuangye-backup-", dir=output.parent) as tmp:
        work = Path(tmp)
        tables = []
        with _snapshot(alias):
            created_at = timezone.now().isoformat()
            migrations = _migrations(alias)
            total = sum(m._base_manager.using(alias).count() for m in models_)
            bar.total = total
            bar.refresh()
            for model in models_:
                tables.append(
                    _dump_table(model, work / _member(model).replace("/", "_"), alias, bar)
                )
        files = _media_files(media_root)
        bar.total = total + len(files)
        bar.refresh()

        partial = work / "archive.tar.gz"
        members: dict[str, dict[str, Any]] = {}
        media_bytes = 0
        try:
            with tarfile.open(partial, "w:gz", format=tarfile.PAX_FORMAT) as tar:
                for table in tables:
                    local = work / table["member"].replace("/", "_")
                    tar.add(local, arcname=table["member"], recursive=False, filter=_plain)
                    members[table["member"]] = {"sha256": table["sha256"], "size": table["size"]}
                for path, name in files:
                    info = _plain(tar.gettarinfo(str(path), arcname=name))
                    with path.open("rb") as source:
                        reader = _HashingReader(source)
                        tar.addfile(info, fileobj=reader)  # type: ignore[arg-type]
                    members[name] = {"sha256": reader.sha.hexdigest(), "size": info.size}
                    media_bytes += info.size
                    bar.update(1)
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "version": _app_version(),
                    "created_at": created_at,
                    "database": connections[alias].vendor,
                    "migrations": migrations,
                    "excluded": EXCLUDED,
                    "tables": [
                        {k: t[k] for k in ("label", "table", "member", "fields", "rows")}
                        for t in tables
                    ],
                    "media": {"files": len(files), "bytes": media_bytes},
                    "members": members,
                }
                data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size = len(data)
                info.mtime = int(timezone.now().timestamp())
                info.mode = 0o600
                tar.addfile(info, io.BytesIO(data))
        except (OSError, tarfile.TarError) as exc:
            raise BackupError(f"写入备份失败：{exc}") from exc
        partial.chmod(0o600)  # the archive holds personal data (encrypted) and password hashes
        os.replace(partial, output)
    summary = Summary(
        path=output,
        created_at=created_at,
        tables=len(tables),
        rows=sum(t["rows"] for t in tables),
        files=len(files),
        media_bytes=media_bytes,
        counts={t["label"]: t["rows"] for t in tables},
    )
    from chuangye.core import audit

    # Taking a copy of everyone's data is itself an auditable act (recorded after the snapshot).
    # A read-only database (a replica) cannot take the record; the archive is good all the same.
    try:
        audit.record(
            "core.backup.create",
            actor=None,
            object_type="core.backup",
            object_repr=output.name[:300],
            after={"created_at": created_at, "rows": summary.rows, "files": summary.files},
        )
    except DatabaseError:
        summary.audited = False
    return summary


def _plain(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Members carry no owner names or ids of the machine that made them."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    return info


# --- restore -------------------------------------------------------------------------------------


def _safe_member_name(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        not path.is_absolute()
        and ".." not in path.parts
        and "\\" not in name
        and (name == MANIFEST or name.startswith((DB_PREFIX, MEDIA_PREFIX)))
    )


def _unpack(archive: Path, into: Path) -> dict[str, Any]:
    """Extract every member into ``into`` and check it against the manifest; return the manifest.

    Nothing outside ``into`` is written: links, devices and unexpected names are refused.
    """
    seen: dict[str, tuple[str, int]] = {}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                name = member.name
                if not member.isfile() or not _safe_member_name(name):
                    raise BackupError(f"备份文件中有不允许的条目：{name}")
                if name in seen:
                    raise BackupError(f"备份文件中有重复的条目：{name}")
                target = into / name
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                if source is None:
                    raise BackupError(f"无法读取备份条目：{name}")
                sha = hashlib.sha256()
                size = 0
                with target.open("wb") as out:
                    while chunk := source.read(1024 * 1024):
                        sha.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                seen[name] = (sha.hexdigest(), size)
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise BackupError(f"不是有效的备份文件，或文件已损坏：{archive}") from exc
    if MANIFEST not in seen:
        raise BackupError("备份文件中没有清单 manifest.json")
    try:
        manifest = json.loads((into / MANIFEST).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError("备份清单 manifest.json 无法解析") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("不是创业威海平台的备份文件")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"不支持的备份格式版本：{manifest.get('format_version')}")
    listed = manifest.get("members")
    if not isinstance(listed, dict):
        raise BackupError("备份清单缺少各文件的校验值")
    problems = []
    for name, expected in sorted(listed.items()):
        got = seen.get(name)
        if got is None:
            problems.append(f"缺少 {name}")
        elif not isinstance(expected, dict) or got != (
            expected.get("sha256"),
            expected.get("size"),
        ):
            problems.append(f"{name} 校验值不符")
    problems += [f"清单中没有 {name}" for name in sorted(set(seen) - set(listed) - {MANIFEST})]
    if problems:
        shown = "；".join(problems[:10]) + ("……" if len(problems) > 10 else "")
        raise BackupError(f"备份文件校验失败，可能已被篡改或损坏（{shown}），未恢复任何内容")
    return manifest


def _plan_tables(manifest: dict[str, Any]) -> list[tuple[type[models.Model], dict[str, Any]]]:
    """Match the archive's tables to this installation's models; refuse any mismatch."""
    installed = {m._meta.label_lower: m for m in backed_up_models()}
    plan = []
    problems = []
    tables = manifest.get("tables")
    if not isinstance(tables, list):
        raise BackupError("备份清单缺少数据表列表")
    for table in tables:
        label = table.get("label") if isinstance(table, dict) else None
        model = installed.get(label or "")
        if model is None:
            problems.append(f"本版本没有数据表 {label}")
            continue
        if table.get("fields") != [c.attname for c in _columns(model)]:
            problems.append(f"数据表 {label} 的字段与本版本不一致")
            continue
        if table.get("member") != _member(model):
            problems.append(f"数据表 {label} 的文件名不符")
            continue
        plan.append((model, table))
    if problems:
        raise BackupError(
            "备份来自不同的软件版本（{}）。请先用生成备份的版本（{}）恢复，再升级。".format(
                "；".join(problems[:5]), manifest.get("version", "未知")
            )
        )
    return plan


def _ensure_schema(alias: str) -> None:
    """Migrate a blank database; refuse one whose schema is behind the code."""
    connection = connections[alias]
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not pending:
        return
    if executor.loader.applied_migrations:
        raise BackupError("数据库结构不是最新版本，请先运行 chuangye manage migrate 再恢复")
    call_command("migrate", interactive=False, verbosity=0, database=alias)


def database_in_use(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Tables holding rows that the application wrote (empty when the database is fresh)."""
    used = []
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if label in BOOKKEEPING or label in EXCLUDED or not model._meta.managed:
            continue
        if model._meta.proxy or model._meta.swapped:
            continue
        if model._base_manager.using(alias).exists():
            used.append(label)
    return sorted(used)


def _insert(model: type[models.Model], rows: list[list[Any]], alias: str) -> None:
    columns = _columns(model)
    objs = [model(*[_decode(c, v) for c, v in zip(columns, row, strict=True)]) for row in rows]
    # raw=True stores the values as given: auto_now fields keep their recorded times and
    # no save() runs (the audit log refuses save() on an existing entry by design).
    manager: Any = model._base_manager.using(alias)
    manager._insert(objs, fields=columns, raw=True, using=alias)


def _load_table(
    model: type[models.Model], path: Path, expected: int, alias: str, bar: ProgressBar
) -> int:
    connection = connections[alias]
    batch_size = max(1, min(INSERT_BATCH, connection.ops.bulk_batch_size(_columns(model), [])))
    batch: list[list[Any]] = []
    count = 0
    with path.open("rb") as lines:
        for line in lines:
            if not line.strip():
                continue
            batch.append(json.loads(line))
            if len(batch) >= batch_size:
                _insert(model, batch, alias)
                count += len(batch)
                bar.update(len(batch))
                batch = []
    if batch:
        _insert(model, batch, alias)
        count += len(batch)
        bar.update(len(batch))
    if count != expected:
        raise BackupError(f"数据表 {model._meta.label_lower} 的行数与清单不符")
    return count


def _swap_media(staged: Path, media_root: Path) -> None:
    """Put the restored files in place of the current ones (a rename on the same disk)."""
    old = None
    if media_root.exists():
        old = media_root.with_name(f"{media_root.name}.before-restore-{uuid.uuid4().hex[:8]}")
        media_root.rename(old)
    staged.rename(media_root)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def restore_backup(
    archive: Path,
    *,
    force: bool = False,
    progress: ProgressBar | None = None,
    alias: str = DEFAULT_DB_ALIAS,
) -> Summary:
    """Restore an archive: verify it, then replace the database and the uploaded files."""
    from chuangye.core import audit

    bar: ProgressBar = progress or _NoProgress()
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"找不到备份文件：{archive}")
    if not os.access(archive, os.R_OK):
        raise BackupError(f"没有读取权限：{archive}")
    media_root = Path(settings.MEDIA_ROOT).resolve()
    media_root.parent.mkdir(parents=True, exist_ok=True)
    connection = connections[alias]
    if connection.in_atomic_block:
        raise BackupError("不能在已打开的事务中恢复")

    # Staged next to MEDIA_ROOT so the files move into place by a rename.
    with tempfile.TemporaryDirectory(prefix=".chuangye-restore-", dir=media_root.parent) as tmp:
        work = Path(tmp)
        manifest = _unpack(archive, work)
        tables = _plan_tables(manifest)
        _ensure_schema(alias)
        if not force:
            used = database_in_use(alias)
            if used:
                raise BackupError(
                    "目标数据库已有数据（{} 等 {} 张表），为防止误覆盖未恢复。"
                    "确认要用备份替换现有全部数据时，加 --force。".format(
                        "、".join(used[:3]), len(used)
                    )
                )
        bar.total = sum(int(t["rows"]) for _m, t in tables) + int(
            manifest.get("media", {}).get("files", 0)
        )
        bar.refresh()
        counts: dict[str, int] = {}
        try:
            with transaction.atomic(using=alias):
                with connection.cursor() as cursor:
                    for sql in sql_flush(no_style(), connection, reset_sequences=True):
                        cursor.execute(sql)
                for model, table in tables:
                    path = work / table["member"]
                    counts[table["label"]] = _load_table(
                        model, path, int(table["rows"]), alias, bar
                    )
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        for sql in connection.ops.sequence_reset_sql(
                            no_style(), [m for m, _t in tables]
                        ):
                            cursor.execute(sql)
                connection.check_constraints()
                audit.record(
                    "core.backup.restore",
                    actor=None,
                    object_type="core.backup",
                    object_repr=archive.name[:300],
                    after={
                        "created_at": manifest.get("created_at"),
                        "version": manifest.get("version"),
                        "rows": sum(counts.values()),
                        "files": manifest.get("media", {}).get("files", 0),
                    },
                )
        except BackupError:
            raise
        except Exception as exc:
            raise BackupError(f"恢复失败，数据库保持原样：{exc}") from exc

        staged_media = work / MEDIA_PREFIX.rstrip("/")
        staged_media.mkdir(exist_ok=True)
        files = [p for p in staged_media.rglob("*") if p.is_file()]
        bar.update(len(files))
        try:
            _swap_media(staged_media, media_root)
        except OSError as exc:
            raise BackupError(
                f"数据库已恢复，但上传文件未能放回 {media_root}：{exc}。"
                "请检查目录权限后重新恢复（加 --force）。"
            ) from exc
    return Summary(
        path=archive,
        created_at=str(manifest.get("created_at", "")),
        tables=len(tables),
        rows=sum(counts.values()),
        files=len(files),
        media_bytes=sum(p.stat().st_size for p in media_root.rglob("*") if p.is_file()),
        counts=counts,
    )
