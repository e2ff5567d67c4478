import pytest
from django.core.exceptions import ValidationError

from chuangye.core.validators import (
    id_check_char,
    uscc_check_char,
    validate_resident_id,
    validate_uscc,
)


@pytest.mark.parametrize(
    "number", ["11010519491231002X", "440524188001010014", "11010519491231002x"]
)
def test_resident_id_valid_vectors_pass(number: str) -> None:
    assert validate_resident_id(number) == number.upper()


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("110105194912310021", "check_digit"),
        ("11010519491331002X", "birth_date"),
        ("11010519490230002X", "birth_date"),
        ("1101051949123100", "format"),
        ("1101051949123100AX", "format"),
        ("", "format"),
    ],
)
def test_resident_id_invalid_vectors_fail_with_reason(number: str, code: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_resident_id(number)
    assert exc.value.code == code


def test_resident_id_check_char_matches_standard_example() -> None:
    assert id_check_char("11010519491231002") == "X"
    assert id_check_char("44052418800101001") == "4"


@pytest.mark.parametrize("code", ["91110000600037341L", "91420684MA4927PJ7B"])
def test_uscc_valid_vectors_pass(code: str) -> None:
    assert validate_uscc(code) == code


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91110000600037341M", "check_digit"),
        ("91420684MA4927PJ7C", "check_digit"),
        ("9111000060003734IL", "format"),
        ("91110000600037341", "format"),
    ],
)
def test_uscc_invalid_vectors_fail_with_reason(code: str, reason: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_uscc(code)
    assert exc.value.code == reason


def test_uscc_check_char_matches_examples() -> None:
    assert uscc_check_char("91110000600037341") == "L"
    assert uscc_check_char("91420684MA4927PJ7") == "B"
