"""Administrators manage users and cities; city leads manage their editors."""

import re

from toolkit.accounts.models import User
from toolkit.cities.models import City
from toolkit.core.models import AuditEvent


def test_admin_creates_a_user_and_gets_a_one_time_link(client, login, make_user, make_city, db):
    make_city("da-nang")
    login(client, make_user("admin"))
    page = client.post(
        "/people/new",
        data={"name": "Le Van C", "email": "C@Example.org", "role": "city_lead", "city": "da-nang"},
    )
    assert page.status_code == 200
    assert b"Invitation link for Le Van C" in page.data
    assert re.search(rb'id="link">http://toolkit\.test/auth/set-password/[\w-]{40,}<', page.data)
    user = db.session.execute(db.select(User).filter_by(email="c@example.org")).scalar_one()
    assert (user.role, user.city.slug, user.password_hash) == ("city_lead", "da-nang", None)
    events = db.session.execute(db.select(AuditEvent.action)).scalars().all()
    assert {"user_created", "invitation_link_created"} <= set(events)


def test_user_form_explains_every_mistake(client, login, make_user, make_city, db):
    make_city("da-nang")
    admin = make_user("admin")
    login(client, admin)
    mismatched = client.post(
        "/people/new",
        data={"name": "X", "email": "x@example.org", "role": "network", "city": "da-nang"},
    )
    assert b"City leads and editors need a city" in mismatched.data
    taken = client.post(
        "/people/new", data={"name": "X", "email": admin.email.upper(), "role": "admin", "city": ""}
    )
    assert b"There is already an account for" in taken.data
    bad_email = client.post(
        "/people/new", data={"name": "X", "email": "not an email", "role": "admin", "city": ""}
    )
    assert b"Invalid email address." in bad_email.data
    assert db.session.execute(db.select(User).filter_by(email="x@example.org")).first() is None


def test_admin_edits_deactivates_and_reactivates(client, login, make_user, make_city, db):
    hue = make_city("hue")
    admin, editor = make_user("admin"), make_user("city_editor", make_city("da-nang"))
    login(client, admin)
    response = client.post(
        f"/people/{editor.id}/edit",
        data={"name": "New Name", "email": editor.email, "role": "city_lead", "city": "hue"},
    )
    assert response.status_code == 302
    assert (editor.name, editor.role, editor.city) == ("New Name", "city_lead", hue)
    client.post(f"/people/{editor.id}/deactivate")
    assert editor.active is False
    listing = client.get("/people/")
    assert b"deactivated" in listing.data
    client.post(f"/people/{editor.id}/reactivate")
    assert editor.active is True
    own = client.post(f"/people/{admin.id}/deactivate", follow_redirects=True)
    assert b"You cannot deactivate your own account." in own.data
    assert admin.active is True


def test_city_lead_manages_only_the_city_editors(client, login, make_user, make_city, db):
    city = make_city("da-nang")
    lead, editor = make_user("city_lead", city), make_user("city_editor", city)
    login(client, lead)
    team = client.get("/cities/da-nang/team")
    assert editor.email.encode() in team.data
    assert client.post(f"/people/{editor.id}/deactivate").status_code == 302
    assert editor.active is False
    refused = client.post(f"/people/{editor.id}/reset-link", follow_redirects=True)
    assert b"Reactivate the account first." in refused.data
    assert refused.request.path == "/cities/da-nang/team"
    client.post(f"/people/{editor.id}/reactivate")
    reset = client.post(f"/people/{editor.id}/reset-link")
    assert b"Invitation link for" in reset.data  # never chose a password: the link invites
    duplicate = client.post("/cities/da-nang/team", data={"name": "E", "email": editor.email})
    assert b"This email cannot be invited." in duplicate.data


def test_admin_adds_and_edits_a_city(client, login, make_user, make_city, db):
    make_city("da-nang")  # brings Viet Nam
    login(client, make_user("admin"))
    data = {
        "slug": "hoi-an",
        "name": "Hoi An",
        "country": "VN",
        "population": "120000",
        "land_area_km2": "61.7",
        "tags": "Coastal, ascn_member coastal",
        "active": "y",
    }
    assert client.post("/cities/new", data=data).status_code == 302
    city = db.session.execute(db.select(City).filter_by(slug="hoi-an")).scalar_one()
    assert (city.population, city.tags) == (120000, ["ascn_member", "coastal"])
    again = client.post("/cities/new", data=data)
    assert b"Another city already uses this short name." in again.data
    bad = client.post("/cities/new", data={**data, "slug": "Hoi An!", "population": "-5"})
    assert b"Lowercase letters, digits and hyphens." in bad.data
    assert b"Number must be between 0 and 100000000." in bad.data
    edited = client.post("/cities/hoi-an/edit", data={**data, "slug": "renamed", "name": "Hội An"})
    assert edited.status_code == 302
    assert (city.slug, city.name) == ("hoi-an", "Hội An")


def test_user_text_is_never_rendered_as_html(client, login, make_user, make_city, db):
    city = make_city("da-nang", name="<script>alert(1)</script>")
    make_user("city_editor", city, name='<img src=x onerror="alert(2)">')
    login(client, make_user("admin"))
    for url in ("/", "/cities/", "/cities/da-nang", "/people/"):
        page = client.get(url).data
        assert b"<script>alert(1)</script>" not in page, url
        assert b"<img src=x" not in page, url
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/cities/da-nang").data


def test_home_page_per_role(client, app, login, make_user, make_city, make_assessment, db):
    da_nang, surabaya = make_city("da-nang"), make_city("surabaya", "ID")
    make_assessment(da_nang, answers={"cs_participation": 2, "hw_primary_care": 3})
    make_assessment(surabaya, status="submitted")
    login(client, make_user("city_editor", da_nang))
    own = client.get("/").data
    assert b"Assessments of Da Nang" in own and b"ASUS quick screening" in own
    assert b"Surabaya" not in own

    network = app.test_client()
    login(network, make_user("network"))
    page = network.get("/").data
    assert b"Da Nang" in page and b"Surabaya" in page and b"Submitted" in page
    filtered = network.get("/?country=ID").data
    assert b"Surabaya" in filtered and b"Da Nang" not in filtered


def test_saving_an_unchanged_city_changes_nothing(client, login, make_user, make_city, db):
    make_city("bandar", "ID")  # another country first, so a wrong default would show
    city = make_city("da-nang", tags=["coastal", "capital"], land_area_km2=1285.4)
    login(client, make_user("admin"))
    page = client.get("/cities/da-nang/edit").data.decode()
    assert '<option selected value="VN">' in page
    data = dict(re.findall(r'<input[^>]*?id="(\w+)"[^>]*?value="([^"]*)"', page))
    data["country"] = "VN"
    data["active"] = "y"
    assert data["tags"] == "coastal, capital"
    assert client.post("/cities/da-nang/edit", data=data).status_code == 302
    assert (city.country.code, city.tags, city.land_area_km2) == (
        "VN",
        ["capital", "coastal"],
        1285.4,
    )


def test_network_staff_can_become_a_city_lead(client, login, make_user, make_city, db):
    city = make_city("da-nang")
    person = make_user("network")
    login(client, make_user("admin"))
    edit_page = client.get(f"/people/{person.id}/edit").data
    assert b'<option selected value="network">' in edit_page
    response = client.post(
        f"/people/{person.id}/edit",
        data={"name": "P", "email": person.email, "role": "city_lead", "city": "da-nang"},
    )
    assert response.status_code == 302
    assert (person.role, person.city) == ("city_lead", city)


def test_an_admin_cannot_drop_their_own_admin_role(client, login, make_user, db):
    admin = make_user("admin")
    login(client, admin)
    response = client.post(
        f"/people/{admin.id}/edit",
        data={"name": "A", "email": admin.email, "role": "network", "city": ""},
    )
    assert b"You cannot remove your own administrator role." in response.data
    assert admin.role == "admin"


def test_only_the_newest_link_of_an_active_user_works(app, db, make_user):
    from toolkit.accounts import service as accounts

    user = make_user("network")
    first = accounts.issue_link(user, "invitation", None)
    second = accounts.issue_link(user, "invitation", None)
    db.session.flush()
    assert accounts.valid_link(first.token) is None
    assert accounts.valid_link(second.token) is not None
    accounts.set_active(user, False, None)
    accounts.set_active(user, True, None)
    assert accounts.valid_link(second.token) is None


def test_a_lead_cannot_learn_which_emails_have_accounts(client, login, make_user, make_city, db):
    make_user("city_editor", make_city("surabaya", "ID"), email="someone@example.org")
    login(client, make_user("city_lead", make_city("da-nang")))
    page = client.post("/cities/da-nang/team", data={"name": "S", "email": "someone@example.org "})
    assert b"This email cannot be invited." in page.data
    assert b"someone@example.org" not in page.data.replace(b'value="someone@example.org"', b"")


def test_fields_are_not_announced_invalid_before_an_error(client):
    page = client.get("/auth/login").data
    assert b"aria-invalid" not in page and b'"None"' not in page
