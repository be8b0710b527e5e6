"""Notifications: who hears of which step, the inbox and its header count, reminders of actions,
and their email through a real SMTP server (aiosmtpd)."""

import socket
from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from toolkit.actions.models import Action
from toolkit.assessments import lifecycle
from toolkit.assessments.answering import assign_areas
from toolkit.assessments.models import ReviewNote
from toolkit.core import instrument
from toolkit.notifications.models import Notification


class Collect:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages = []
        self.refused = set()  # addresses the server refuses, as a mailbox that does not exist

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        # The headers as sent are ASCII: names and subjects in Thai or Vietnamese are encoded.
        envelope.original_content.decode("ascii")
        mail = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, mail))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    """A real SMTP server on 127.0.0.1; `.messages` holds (recipients, message) received."""
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture
def mail_app(app, make_app, smtp):
    """The app sending mail to the test's SMTP server (its context above the `app` one)."""
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_FROM="toolkit@example.org")
    with app.app_context():
        yield app


@pytest.fixture
def people(make_city, make_user):
    city = make_city("da-nang", name="Da Nang")
    other = make_city("cebu", country="PH", name="Cebu")
    return {
        "city": city,
        "other": other,
        "lead": make_user("city_lead", city=city, name="Lan Lead"),
        "editor": make_user("city_editor", city=city, name="Eddy Editor"),
        "away": make_user("city_editor", city=city, name="Gone Editor", active=False),
        "other_lead": make_user("city_lead", city=other, name="Cebu Lead"),
        "network": make_user("network", name="Nina Network"),
        "admin": make_user("admin", name="Ada Admin"),
    }


def received(db, user):
    return list(
        db.session.scalars(
            db.select(Notification).filter_by(user_id=user.id).order_by(Notification.id)
        )
    )


def first_question():
    return next(iter(instrument.latest("asus-quick").questions())).id


def submitted(make_assessment, city):
    return make_assessment(city, status="submitted")


def test_return_notifies_the_city_with_the_notes_not_the_reviewer_nor_another_city(
    client, db, login, people, make_assessment
):
    assessment = submitted(make_assessment, people["city"])
    db.session.commit()
    login(client, people["network"])
    question = first_question()
    response = client.post(
        f"/assessments/{assessment.id}/review",
        data={"decision": "return", "comment": "Add sources", f"note__{question}": "Which year?"},
    )
    assert response.status_code == 302
    for who in ("lead", "editor"):
        [n] = received(db, people[who])
        assert n.kind == "returned"
    for who in ("away", "other_lead", "network", "admin"):
        assert received(db, people[who]) == []

    login(client, people["lead"])
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Nina Network returned Da Nang" in page
    assert "with 1 note on questions" in page and "Comment: Add sources" in page
    assert "Unread" in page
    header = client.get("/").get_data(as_text=True)
    assert 'Notifications <span class="count">1</span>' in header


def test_submit_and_approve_notify_the_other_side(db, people, make_assessment):
    assessment = make_assessment(people["city"])
    lifecycle.submit(assessment, people["lead"])
    assert [n.kind for n in received(db, people["network"])] == ["submitted"]
    assert [n.kind for n in received(db, people["admin"])] == ["submitted"]
    assert received(db, people["editor"]) == []  # a city hears not of its own submission
    lifecycle.approve(assessment, people["admin"], None)
    assert [n.kind for n in received(db, people["lead"])] == ["approved"]
    assert [n.kind for n in received(db, people["editor"])] == ["approved"]
    assert [n.kind for n in received(db, people["admin"])] == ["submitted"]  # not the actor
    assert received(db, people["other_lead"]) == []


def test_only_newly_assigned_people_hear_of_their_areas(db, people, make_assessment):
    assessment = make_assessment(people["city"])
    lead, editor = people["lead"], people["editor"]
    assign_areas(assessment, {"security": {lead.id, editor.id}}, lead)
    [n] = received(db, editor)
    assert n.details == {"areas": ["security"]}
    assert received(db, lead) == []  # who assigned themself
    assign_areas(assessment, {"security": {lead.id, editor.id}, "civic_social": set()}, lead)
    assert len(received(db, editor)) == 1  # nothing new given


def test_replies_notify_the_reviewer_and_the_city_person_who_replied(db, people, make_assessment):
    assessment = submitted(make_assessment, people["city"])
    lifecycle.return_to_city(assessment, people["network"], "More", {first_question(): "Year?"})
    note = db.session.scalars(db.select(ReviewNote)).one()
    lifecycle.reply_to_note(note, people["editor"], "2024")
    assert [n.kind for n in received(db, people["network"])] == ["note_replied"]
    lifecycle.reply_to_note(note, people["admin"], "Thanks")
    kinds = [n.kind for n in received(db, people["editor"])]
    assert kinds == ["returned", "note_replied"]
    assert [n.kind for n in received(db, people["lead"])] == ["returned"]  # did not reply


def test_a_rolled_back_step_notifies_nobody(app, db, people, make_assessment):
    assessment = submitted(make_assessment, people["city"])
    db.session.commit()
    with app.test_request_context():
        lifecycle.approve(assessment, people["network"], None)
        db.session.rollback()
    assert db.session.scalars(db.select(Notification)).all() == []


def test_read_one_and_all_with_csrf_and_another_persons_is_a_404(
    make_app, db, login, people, make_assessment
):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assessment = submitted(make_assessment, people["city"])
    for _ in range(3):
        lifecycle.approve(assessment, people["network"], None)
        assessment.status = "submitted"
    db.session.commit()
    mine = received(db, people["lead"])
    theirs = received(db, people["editor"])[0]
    login(client, people["lead"])

    assert client.get(f"/notifications/{theirs.id}").status_code == 404
    assert client.post(f"/notifications/{theirs.id}/read").status_code in (400, 404)
    assert client.get("/notifications/99999999999999999999").status_code == 404
    # Opening it goes to its page and marks it read.
    response = client.get(f"/notifications/{mine[0].id}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/assessments/{assessment.id}")
    assert client.get(response.headers["Location"]).status_code == 200
    db.session.expire_all()
    assert mine[0].read_at is not None and theirs.read_at is None
    page = client.get("/notifications/").get_data(as_text=True)
    assert "2 unread notifications." in page

    # Without its CSRF token, mark all read is refused; with it, all are read.
    assert client.post("/notifications/read").status_code == 400
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/notifications/read", data={"csrf_token": token}).status_code == 303
    page = client.get("/notifications/").get_data(as_text=True)
    assert "0 unread notifications." in page and "Unread" not in page
    assert received(db, people["editor"])[0].read_at is None


def test_inbox_pages_and_header_for_signed_out_and_bad_pages(client, db, login, people):
    from toolkit.notifications.service import notify

    assessment_city = people["city"]
    from conftest import add_assessment

    assessment = add_assessment(assessment_city)
    for _ in range(25):
        notify("approved", [people["editor"]], people["network"], assessment=assessment)
    db.session.commit()
    assert client.get("/notifications/").status_code == 302  # signed out: to sign in
    assert client.get("/auth/login").status_code == 200
    login(client, people["editor"])
    first = client.get("/notifications/").get_data(as_text=True)
    assert "Page 1 of 2" in first and first.count('<li class="notification') == 20
    second = client.get("/notifications/?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second and second.count('<li class="notification') == 5
    for bad in ("-1", "abc", "9" * 30):
        assert client.get("/notifications/", query_string={"page": bad}).status_code == 200
    assert client.get("/notifications/", query_string={"page": "\x00"}).status_code == 400
    assert client.get("/no-such-page").status_code == 404
    assert 'Notifications <span class="count">25</span>' in client.get("/").get_data(as_text=True)


def action_due(db, assessment, days, responsible=None):
    action = Action(
        city_id=assessment.city_id,
        assessment_id=assessment.id,
        title="Plant 1,000 trees",
        due_on=date.today() + timedelta(days=days),
        responsible_user=responsible,
    )
    db.session.add(action)
    db.session.flush()
    return action


def test_remind_once_per_action_kind_and_due_date(runner, db, people, make_assessment):
    assessment = make_assessment(people["city"])
    soon = action_due(db, assessment, 3, responsible=people["editor"])
    late = action_due(db, assessment, -2)  # nobody responsible: the city's leads hear
    action_due(db, assessment, 30, responsible=people["editor"])  # not due yet
    done = action_due(db, assessment, 1, responsible=people["editor"])
    done.status = "done"
    db.session.commit()

    result = runner.invoke(args=["notifications", "remind"])
    assert result.exit_code == 0, result.output
    assert "2 reminder(s) made." in result.output
    assert [(n.kind, n.action_id) for n in received(db, people["editor"])] == [
        ("action_due", soon.id)
    ]
    assert [(n.kind, n.action_id) for n in received(db, people["lead"])] == [
        ("action_overdue", late.id)
    ]
    assert received(db, people["other_lead"]) == []
    assert "0 reminder(s) made." in runner.invoke(args=["notifications", "remind"]).output
    soon.due_on += timedelta(days=1)  # its date moved: reminded again
    db.session.commit()
    assert "1 reminder(s) made." in runner.invoke(args=["notifications", "remind"]).output


# -- email ---------------------------------------------------------------------------------------


def test_immediate_mail_in_the_persons_language_with_the_link(
    mail_app, db, login, people, make_assessment, smtp
):
    people["lead"].language = "th"
    people["lead"].name = "สมชาย ใจดี"
    people["network"].name = "Nguyễn Thị Hà สมศรี"
    assessment = submitted(make_assessment, people["city"])
    db.session.commit()
    client = mail_app.test_client()
    login(client, people["network"])
    client.post(f"/assessments/{assessment.id}/review", data={"decision": "approve"})
    mails = {tuple(to): mail for to, mail in smtp.messages}
    assert set(mails) == {(people["lead"].email,), (people["editor"].email,)}
    to_lead = mails[(people["lead"].email,)]
    assert "Nguyễn Thị Hà สมศรี อนุมัติ Da Nang" in to_lead["Subject"]
    assert "approved" not in to_lead["Subject"]
    assert to_lead["To"].addresses[0].display_name == "สมชาย ใจดี"
    body = to_lead.get_content()
    [n] = received(db, people["lead"])
    assert f"/notifications/{n.id}" in body and "เรียน สมชาย ใจดี" in body
    assert to_lead.get_content_type() == "text/plain"
    assert n.mail_state == "sent"


def test_smtp_down_the_step_succeeds_and_send_retries(
    make_app, db, login, people, make_assessment, smtp
):
    closed = free_port()
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed, MAIL_TIMEOUT=2)
    assessment = submitted(make_assessment, people["city"])
    db.session.commit()
    client = app.test_client()
    login(client, people["network"])
    response = client.post(f"/assessments/{assessment.id}/review", data={"decision": "approve"})
    assert response.status_code == 302
    db.session.expire_all()
    assert assessment.status == "approved"
    assert {n.mail_state for n in db.session.scalars(db.select(Notification))} == {"pending"}

    working = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    with working.app_context():
        result = working.test_cli_runner().invoke(args=["notifications", "send"])
        assert "2 mail(s) sent." in result.output, result.output
        assert len(smtp.messages) == 2
        result = working.test_cli_runner().invoke(args=["notifications", "send"])
        assert "0 mail(s) sent." in result.output


def test_a_comment_of_several_lines_and_a_refused_address_stop_no_one_s_mail(
    mail_app, db, login, people, make_assessment, smtp
):
    """The reviewer's comment (a subject line) holds line breaks, and the lead's mailbox is
    refused: the return is saved without an error, the editor still gets the mail, and the
    lead's stays pending for the next run."""
    smtp.refused.add(people["lead"].email)
    assessment = submitted(make_assessment, people["city"])
    db.session.commit()
    client = mail_app.test_client()
    login(client, people["network"])
    response = client.post(
        f"/assessments/{assessment.id}/review",
        data={"decision": "return", "comment": "Add sources\r\nand the year\nplease"},
    )
    assert response.status_code == 302
    [(to, mail)] = smtp.messages
    assert to == [people["editor"].email]
    assert "\n" not in mail["Subject"] and "Add sources and the year please" in mail["Subject"]
    db.session.expire_all()
    [lead_notice] = received(db, people["lead"])
    assert lead_notice.mail_state == "pending"


def test_digest_one_mail_with_every_item_then_nothing_and_off_gets_none(
    mail_app, runner, db, people, make_assessment, smtp
):
    from toolkit.notifications.service import notify

    people["editor"].email_notifications = "digest"
    people["lead"].email_notifications = "off"
    assessment = make_assessment(people["city"])
    for _ in range(3):
        notify(
            "approved", [people["editor"], people["lead"]], people["network"], assessment=assessment
        )
    db.session.commit()
    assert smtp.messages == []  # a digest waits for the day's mail
    result = mail_app.test_cli_runner().invoke(args=["notifications", "send"])
    assert "1 mail(s) sent." in result.output, result.output
    [(to, mail)] = smtp.messages
    assert to == [people["editor"].email]
    assert "3 new notifications" in mail["Subject"]
    assert mail.get_content().count("approved Da Nang") == 3
    notify("approved", [people["editor"]], people["network"], assessment=assessment)
    db.session.commit()
    result = mail_app.test_cli_runner().invoke(args=["notifications", "send"])
    assert "0 mail(s) sent." in result.output  # one digest a day
    assert len(smtp.messages) == 1


def test_email_choice_on_the_account_page(client, db, login, people):
    login(client, people["editor"])
    page = client.get("/account").get_data(as_text=True)
    assert "Email of your notifications" in page
    response = client.post("/account/email", data={"email_notifications": "digest"})
    assert response.status_code == 303
    db.session.expire_all()
    assert people["editor"].email_notifications == "digest"
    assert client.post("/account/email", data={"email_notifications": "x\x00"}).status_code == 400
    db.session.expire_all()
    assert people["editor"].email_notifications == "digest"
