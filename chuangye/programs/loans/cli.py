"""`chuangye loans …` subcommands (registered by chuangye.cli)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def cmd_import(args: argparse.Namespace) -> int:
    """A bank's disbursement list, as the import page takes it: every row or none."""
    from chuangye.cli import EXIT_BAD_INPUT, _fail, _progress, _setup

    path = Path(args.file)
    if not path.is_file():
        return _fail(f"找不到文件 {path}")
    _setup()
    from chuangye.accounts.models import User
    from chuangye.core import xlsx
    from chuangye.programs.loans import imports, selectors

    user = User.objects.filter(username=args.user, is_active=True).first()
    if user is None:
        return _fail(f"账号“{args.user}”不存在或已停用")
    banks = selectors.banks_of(user)
    if not banks:
        return _fail(f"“{args.user}”不是任何银行的经办人员，不能导入放款")
    bank: Any = banks[0]
    if args.bank:
        bank = next((b for b in banks if b.code == args.bank), None)
        if bank is None:
            codes = "、".join(b.code for b in banks)
            return _fail(f"“{args.user}”不是银行“{args.bank}”的经办人员（可选：{codes}）")
    elif len(banks) > 1:
        codes = "、".join(b.code for b in banks)
        return _fail(f"“{args.user}”经办多家银行，请用 --bank 指明（可选：{codes}）")
    with path.open("rb") as fh:
        stated = xlsx.stated_rows(fh)
        fh.seek(0)
        bar = _progress(stated - 1 if stated and stated > 1 else 0, "核对并登记放款")
        bar.unit = "行"
        try:
            result = imports.import_disbursements(
                fh, bank=bank, actor=user, file_name=path.name, progress=bar.update
            )
        except imports.DisbursementImportError as exc:
            bar.close()
            print("导入失败，未保存任何数据：", file=sys.stderr)
            for error in exc.errors:
                print(f"  {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except imports.services.LoanError as exc:
            bar.close()
            return _fail(str(exc))
        bar.close()
    batch = f"（导入批次 {result.batch.pk}）" if result.batch else ""
    print(f"已登记放款 {result.loans} 笔，合计 {result.amount:,.2f} 元{batch}。")
    return 0


def register(sub: Any) -> None:
    loans = sub.add_parser("loans", help="创业担保贷款：导入银行放款清单")
    loans_sub = loans.add_subparsers(dest="loans_command", required=True)
    imp = loans_sub.add_parser(
        "import", help="导入银行放款清单（.xlsx，与页面导入相同：任一行有误则整份不保存）"
    )
    imp.add_argument("file")
    imp.add_argument("--user", required=True, help="以哪位银行经办人员的账号导入（记入审计日志）")
    imp.add_argument("--bank", help="银行的部门代码（经办多家银行时必填）")
    imp.set_defaults(func=cmd_import)
