import re

from botaz.ids import ID_ALPHABET, iso_ms, is_id, new_id, parse_iso_ms

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_new_id_is_meteor_style() -> None:
    ids = {new_id() for _ in range(2000)}
    assert len(ids) == 2000
    for value in ids:
        assert len(value) == 17 and set(value) <= set(ID_ALPHABET) and is_id(value)


def test_is_id_refuses_other_strings() -> None:
    assert not is_id("0" * 17)  # 0 is not in the alphabet
    assert not is_id("abc")
    assert not is_id(None)


def test_iso_ms_matches_the_seed_format() -> None:
    assert iso_ms(1546499647438) == "2019-01-03T07:14:07.438Z"
    assert iso_ms(1546499647000) == "2019-01-03T07:14:07.000Z"
    assert ISO_MS.match(iso_ms(0))
    assert parse_iso_ms("2019-01-03T07:14:07.438Z") == 1546499647438
    assert iso_ms(None) is None
