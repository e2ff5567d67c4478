from typing import Any

import pytest

from chuangye.cli import main
from chuangye.monitoring.models import Fact

pytestmark = pytest.mark.django_db(transaction=True)


def test_facts_rebuild_and_check_commands(capsys: Any) -> None:
    assert main(["demo"]) == 0
    capsys.readouterr()
    assert main(["facts", "check"]) == 0
    assert "一致" in capsys.readouterr().out
    Fact.objects.filter(pk=Fact.objects.order_by("pk").first().pk).update(value=-1)  # type: ignore[union-attr]
    assert main(["facts", "check"]) == 1
    assert "不一致" in capsys.readouterr().out
    assert main(["facts", "rebuild"]) == 0
    assert main(["facts", "check"]) == 0
