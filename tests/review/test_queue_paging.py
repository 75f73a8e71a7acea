"""The review queues page through what waits (limit, offset) and always say how much waits in all (total), also
on a page past the end. Both databases."""

from __future__ import annotations

from .conftest import U1


def test_the_assessor_queue_pages_and_counts(centre):
    jo, ann = centre["jo"], centre["ann"]
    first = jo.journal(standards=U1[:2])
    second = jo.journal(what="Second entry", standards=U1[2:3])
    everything = ann.queue().get_json()
    assert everything["total"] == 3
    order = [(i["evidence"]["id"], i["criterion"]["uri"]) for i in everything["items"]]
    assert order == [(first, U1[0]), (first, U1[1]), (second, U1[2])]
    pages = [ann.queue(limit="1", offset=str(n)).get_json() for n in range(3)]
    assert [
        (p["total"], [(i["evidence"]["id"], i["criterion"]["uri"]) for i in p["items"]]) for p in pages
    ] == [(3, [order[0]]), (3, [order[1]]), (3, [order[2]])]
    past = ann.queue(limit="2", offset="5").get_json()
    assert (past["items"], past["total"], past["offset"]) == ([], 3, 5)
    # Decided evidence leaves the queue and the total.
    assert ann.decide(evidence=first, criterion=U1[0], outcome="accepted").status_code == 201
    assert ann.queue().get_json()["total"] == 2


def test_the_iqa_list_pages_and_counts(centre):
    jo, ann, ian = centre["jo"], centre["ann"], centre["ian"]
    evidence = jo.journal(standards=U1[:3])
    made = [
        ann.decide(evidence=evidence, criterion=uri, outcome="accepted").get_json()["id"] for uri in U1[:3]
    ]
    assert [i["decision"]["id"] for i in ian.queue().get_json()["items"]] == made
    pages = [ian.queue(limit="2", offset=str(n)).get_json() for n in (0, 2)]
    assert [(p["total"], [i["decision"]["id"] for i in p["items"]]) for p in pages] == [
        (3, made[:2]),
        (3, made[2:]),
    ]
    past = ian.queue(offset="3").get_json()
    assert (past["items"], past["total"]) == ([], 3)
    # A later decision on the same evidence and criterion supersedes the first: only the current one waits.
    again = ann.decide(
        evidence=evidence, criterion=U1[0], outcome="referred", feedback="Not yet."
    ).get_json()["id"]
    assert [i["decision"]["id"] for i in ian.queue().get_json()["items"]] == [*made[1:], again]
    # A sampled decision no longer waits.
    assert ian.decide(decision=made[1], outcome="confirmed").status_code == 201
    listed = ian.queue().get_json()
    assert ([i["decision"]["id"] for i in listed["items"]], listed["total"]) == ([made[2], again], 2)
    assert ian.queue(offset="2").get_json()["total"] == 2
