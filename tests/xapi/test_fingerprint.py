"""The fingerprint decides whether a re-sent statement is "the same" (204) or a conflict (409). Pure."""

from __future__ import annotations

from lrs.xapi.statement import fingerprint

ANN = {"objectType": "Agent", "mbox": "mailto:ann@la.example"}
BOB = {"objectType": "Agent", "mbox": "mailto:bob@la.example"}


def statement(members: list, **extra) -> dict:
    return {
        "id": "6FA459EA-EE8A-3CA4-894E-DB77E160355E",
        "actor": {"objectType": "Group", "name": "Team", "member": members},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {"id": "https://lms.example/a/1"},
        "context": {"instructor": {"objectType": "Group", "member": list(reversed(members))}},
        **extra,
    }


def test_group_member_order_does_not_change_the_fingerprint():
    assert fingerprint(statement([ANN, BOB])) == fingerprint(statement([BOB, ANN]))


def test_different_members_do_change_it():
    assert fingerprint(statement([ANN, BOB])) != fingerprint(statement([ANN]))


def test_what_the_lrs_sets_and_the_id_case_are_ignored_but_content_is_not():
    plain = fingerprint(statement([ANN]))
    assert fingerprint({**statement([ANN]), "stored": "x", "authority": ANN, "version": "1.0.3"}) == plain
    assert fingerprint({**statement([ANN]), "id": statement([ANN])["id"].lower()}) == plain
    assert fingerprint({**statement([ANN]), "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}}) != plain


def test_a_statement_without_groups_is_hashed_alike_either_way():
    no_group = {"actor": ANN, "verb": {"id": "http://x.example/v"}, "object": {"id": "https://x.example/a"},
                "timestamp": "2026-01-01T00:00:00Z"}
    assert fingerprint(no_group) == fingerprint({**no_group, "timestamp": "2026-01-01T00:00:00.000+00:00"})
