"""Signing a browser in and out: the cookie, CSRF on every form, and the API's read rules on pages."""

from __future__ import annotations

import re
from typing import Any

from tests.factories import lot_body


def sign_in_token(client: Any) -> str:
    page = client.get("/sign-in").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client: Any, token: str) -> Any:
    return client.post("/sign-in", data={"token": token, "csrf_token": sign_in_token(client), "next": "/lots"})


def page_csrf(client: Any, path: str = "/lots") -> str:
    return re.search(r'data-csrf="([0-9a-f]{64})"', client.get(path).get_data(as_text=True)).group(1)


def test_a_page_without_a_session_sends_the_browser_to_sign_in(client):
    answer = client.get("/lots")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/sign-in?next=/lots")


def test_signing_in_sets_an_httponly_strict_cookie_and_no_token_in_the_url(client, make_party):
    recycler = make_party()
    answer = sign_in(client, recycler.token)
    cookie = next(value for value in answer.headers.getlist("Set-Cookie") if value.startswith("sl_session="))
    assert answer.status_code == 302 and answer.headers["Location"] == "/lots"
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert recycler.token not in answer.headers["Location"] and recycler.token not in cookie


def test_a_wrong_token_is_refused_beside_the_field(client):
    answer = sign_in(client, "slt_not-a-token")
    assert answer.status_code == 401
    assert 'id="token-error"' in answer.get_data(as_text=True)


def test_a_sign_in_post_without_its_form_token_is_refused(client, make_party):
    recycler = make_party()
    client.get("/sign-in")
    answer = client.post("/sign-in", data={"token": recycler.token, "csrf_token": "forged"})
    assert answer.status_code == 403


def test_signing_out_ends_the_session_on_the_server(client, make_party):
    sign_in(client, make_party().token)
    stolen = client.get_cookie("sl_session").value
    client.post("/sign-out", data={"csrf_token": page_csrf(client)})
    client.set_cookie("sl_session", stolen)
    assert client.get("/lots").status_code == 302


def test_a_page_post_without_the_csrf_token_is_refused_and_appends_nothing(client, make_party, operator):
    recycler = make_party()
    sign_in(client, recycler.token)
    size = client.get("/v1/checkpoint").get_data(as_text=True).splitlines()[1]
    answer = client.post("/pages/submit", json=recycler.signed("lot.register", lot_body()))
    assert answer.status_code == 403
    assert client.get("/v1/checkpoint").get_data(as_text=True).splitlines()[1] == size


def test_a_signed_submission_with_the_csrf_token_is_appended_as_the_party(client, make_party):
    recycler = make_party()
    sign_in(client, recycler.token)
    answer = client.post("/pages/submit", json=recycler.signed("lot.register", lot_body()),
                         headers={"X-CSRF-Token": page_csrf(client)})
    assert answer.status_code == 201
    assert answer.get_json()["result"]["lot_id"].startswith("lot-")


def test_the_check_call_answers_the_ledgers_own_rule_for_a_bad_body(client, make_party):
    sign_in(client, make_party().token)
    answer = client.post("/pages/check", json={"type": "lot.register", "body": lot_body(net_mass_kg="24380,5")},
                         headers={"X-CSRF-Token": page_csrf(client)})
    assert answer.status_code == 422
    assert answer.get_json()["field"] == "body.net_mass_kg"


def test_a_lot_the_party_may_not_see_is_a_404_page(client, make_party):
    owner = make_party("rotterdam-metals")
    stranger = make_party("antwerp-shredding", legal_name="Antwerpen Shredding NV", country="BE")
    lot_id = owner.submit("/v1/lots", "lot.register", lot_body())["result"]["lot_id"]
    sign_in(client, stranger.token)
    answer = client.get(f"/lots/{lot_id}")
    assert answer.status_code == 404
    assert answer.mimetype == "text/html" and "Not found" in answer.get_data(as_text=True)
