"""The company the benchmarks build: what it holds, and that its clerks can work with it."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from benchmarks.company import build_company, describe_company
from frontdesk import create_app


def test_a_small_company_is_built_and_its_clerks_find_and_pay(tmp_path):
    url = f"sqlite:///{tmp_path / 'company.sqlite'}"
    company = build_company(url, people=600, estates=2, users_per_estate=2,
                            today=date(2026, 11, 20))
    assert company.counts["estate"] == 2
    assert company.counts["unit"] == 240 and company.counts["person"] == 600
    assert len(company.logins) == 4 and {e for _, e in company.logins} == set(company.estate_ids)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        # the tails are what the register writes: the last four characters
        bad_tails = conn.scalar(sa.text(
            "SELECT count(*) FROM person WHERE phone_tail <> substr(phone, -4) "
            "OR id_tail <> substr(id_number, -4)"))
        owing = conn.scalar(sa.text(
            "SELECT count(DISTINCT unit_id) FROM bill_line WHERE settled < amount"))
        periods = {r[0] for r in conn.execute(sa.text("SELECT DISTINCT period FROM bill_line"))}
    engine.dispose()
    assert bad_tails == 0
    assert owing == sum(len(v) for v in company.owing.values()) > 0
    assert periods == {"2026-09", "2026-10"}

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_STORAGE_URI": None})
    client = app.test_client()
    username, estate_id = company.logins[0]
    r = client.post("/login", data={"username": username, "password": company.password})
    assert r.status_code == 302 and "/login" not in r.headers["Location"]
    for kind, q in company.queries(estate_id).items():
        page = client.get("/desk", query_string={"q": q})
        assert page.status_code in (200, 302), (kind, q)
        if page.status_code == 200:  # a list of hits, not "nothing found"
            assert "/desk/units/" in page.text, (kind, q)
    unit_id = company.owing[estate_id][0]
    form = client.get(f"/payments/units/{unit_id}/new")
    assert form.status_code == 200 and 'name="line_ids"' in form.text
    # another estate's unit is not this clerk's
    other = company.owing[company.estate_ids[1]][0]
    assert client.get(f"/desk/units/{other}").status_code == 404

    again = describe_company(url)
    assert again.estate_ids == company.estate_ids and again.logins == company.logins
    assert again.owing == {e: sorted(v) for e, v in company.owing.items()}
