"""GET /tips shows each tip's forwarding without a query per tip."""

from __future__ import annotations

from tests.query_count import counted_statements


def _statements_for_list(app, client, police) -> int:
    with counted_statements(app) as statements:
        response = client.get("/api/v1/tips", headers=police.headers)
    assert response.status_code == 200
    return len(statements)


def test_the_list_reads_forwards_in_one_statement(app, client, cast, post_tip, open311):
    police = cast["police"]

    def forwarded_tip():
        tip = post_tip(cast["reporter"], "unsafe_place", description=f"Mörkt {len(seen)}")
        answer = client.post(f"/api/v1/tips/{tip['id']}/forward", headers=police.headers)
        assert answer.status_code == 202
        seen.append(tip["id"])

    seen: list[int] = []
    forwarded_tip()
    forwarded_tip()  # a duplicate of the first: its link is read too, from now on
    few = _statements_for_list(app, client, police)
    for _ in range(3):
        forwarded_tip()
    items = client.get("/api/v1/tips", headers=police.headers).get_json()["items"]
    assert [i["forwarding"]["state"] for i in items] == ["queued"] * 5
    assert _statements_for_list(app, client, police) == few
