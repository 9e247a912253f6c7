"""One list of problem codes (problems.catalogue): every code the code raises is in
it, every problem document's type names its page, and each page resolves."""

import re
from pathlib import Path

import pytest
from django.test import Client

from orders.errors import DomainError
from problems import Problem, problem_body
from problems.catalogue import BY_CODE, CATALOGUE
from problems.handler import _DRF_CODES

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("accounts", "config", "eventstore", "orders", "problems", "projections")
# Where a problem code is written: a class's `code = "…"`, a `code="…"` argument, the
# code argument of the problem builders, and the DRF exceptions' table.
WRITTEN = [
    re.compile(r'^\s+code\s*=\s*"([a-z_]+)"', re.M),
    re.compile(r'\bcode="([a-z_]+)"'),
    re.compile(r'(?:problem_body|problem_response|_problem)\(\s*\d{3},\s*"([a-z_]+)"'),
    re.compile(r'\(\s*[\w.]+,\s*\d{3},\s*"([a-z_]+)",\s*"'),
]
# DRF field errors carry codes of their own ("invalid"), inside the field's 400.
NOT_PROBLEMS = re.compile(r"ValidationError\([^)]*\)")


def codes_in_the_source() -> dict[str, str]:
    """Each code written in the product's source, with the first file that writes it."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            text = NOT_PROBLEMS.sub("", path.read_text())
            for pattern in WRITTEN:
                for code in pattern.findall(text):
                    found.setdefault(code, str(path.relative_to(ROOT)))
    return found


def subclasses(cls: type) -> list[type]:
    return [cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))]


def test_the_scan_finds_the_codes_it_should():
    """A scan that found nothing would pass anything."""
    found = codes_in_the_source()
    expected = {"insufficient_stock", "uri_too_long", "invalid_correlation_id", "throttled"}
    assert expected | {"database_unavailable", "idempotency_key_reused"} <= set(found)
    assert len(found) >= 30


def test_every_code_written_in_the_source_is_in_the_catalogue():
    missing = {code: where for code, where in codes_in_the_source().items() if code not in BY_CODE}
    assert not missing, f"add these to problems/catalogue.py: {missing}"


def test_every_error_class_has_its_code_and_status_in_the_catalogue():
    for cls in subclasses(Problem):
        assert BY_CODE[cls.code].status == cls.status, cls
    for cls in subclasses(DomainError):
        assert cls.code in BY_CODE, cls
    for _, status, code, _ in _DRF_CODES:
        assert BY_CODE[code].status == status, code


def test_each_code_is_listed_once_with_a_meaning_and_a_remedy():
    codes = [entry.code for entry in CATALOGUE]
    assert len(codes) == len(set(codes))
    for entry in CATALOGUE:
        assert 400 <= entry.status <= 599 and entry.title and entry.meaning and entry.remedy


def test_a_problem_document_takes_its_type_from_the_catalogue():
    assert (
        problem_body(409, "insufficient_stock", "t", "d")["type"] == "/problems/insufficient_stock"
    )
    assert problem_body(409, "not_in_the_catalogue", "t", "d")["type"] == "about:blank"


@pytest.mark.django_db
@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda entry: entry.code)
def test_every_problem_type_resolves_to_a_page_saying_status_meaning_and_remedy(entry):
    page = Client().get(entry.uri)
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert f'id="problem-status">{entry.status}<' in html
    assert f'id="problem-code">{entry.code}<' in html
    assert "What it means" in html and "What to do" in html


@pytest.mark.django_db
def test_the_index_links_every_problem_type_and_an_unknown_code_is_404():
    client = Client()
    index = client.get("/problems/").content.decode()
    assert all(f'href="{entry.uri}"' in index for entry in CATALOGUE)
    assert client.get("/problems/no_such_problem").status_code == 404
