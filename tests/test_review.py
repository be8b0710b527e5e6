"""Reviewing through the pages: every round of notes kept with the city's replies, what changed
since a return, evidence links, the review queue, and a timeline in words."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from toolkit.assessments import answering, lifecycle
from toolkit.assessments.models import Answer, ReviewNote, ReviewReply
from toolkit.core.audit import record
from toolkit.core.models import utcnow


@pytest.fixture
def people(make_city, make_user, db):
    city, other = make_city("da-nang", name="Da Nang"), make_city("cebu", "PH", name="Cebu")
    found = {
        "city": city,
        "other_city": other,
        "lead": make_user("city_lead", city, name="Lan Lead"),
        "editor": make_user("city_editor", city, name="Eddy Editor"),
        "stranger": make_user("city_editor", other, name="Cebu Editor"),
        "reviewer": make_user("network", name="Rina Reviewer"),
        "admin": make_user("admin", name="Ada Admin"),
    }
    db.session.commit()
    return found


def signed_in(app, login, user):
    client = app.test_client()
    login(client, user)
    return client


def text_of(html: str) -> str:
    """The page's text, tags dropped and spaces folded (what a reader sees)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def test_notes_are_kept_every_round_with_replies_and_changes_since(
    app, login, people, make_assessment, db
):
    city, editor, lead = people["city"], people["editor"], people["lead"]
    assessment = make_assessment(
        city, answers={"se_drr_plan": 2, "se_early_warning": 1}, status="submitted", by=editor
    )
    reviewer = signed_in(app, login, people["reviewer"])
    city_browser = signed_in(app, login, editor)
    review = f"/assessments/{assessment.id}/review"
    reviewer.post(
        review,
        data={
            "decision": "return",
            "comment": "Attach the adopted plan.",
            "note__se_drr_plan": "Which council resolution adopted it?",
            "note__se_early_warning": "Does the warning reach the islands?",
        },
    )
    assert assessment.status == "returned"
    notes = db.session.execute(db.select(ReviewNote).order_by(ReviewNote.id)).scalars().all()
    drr_note = notes[0]
    assert len(notes) == 2

    # The city answers one note and changes one answer, then resubmits.
    replied = city_browser.post(
        f"/assessments/{assessment.id}/notes/{drr_note.id}/replies",
        data={f"note-{drr_note.id}-text": "Resolution 12/2024, <b>attached</b>."},
    )
    assert replied.status_code == 303
    page = city_browser.get(f"/assessments/{assessment.id}/notes").data.decode()
    assert "Reply from Eddy Editor" in page
    assert "Resolution 12/2024, &lt;b&gt;attached&lt;/b&gt;." in page
    saved = city_browser.post(
        f"/assessments/{assessment.id}/areas/security",
        data={"se_drr_plan__value": "3", "se_drr_plan__version": "1"},
    )
    assert saved.status_code == 302
    lifecycle.submit(assessment, lead)
    db.session.commit()

    # The reviewer reads round 1 beside each question, with the reply and what changed.
    page = reviewer.get(review).data.decode()
    words = text_of(page)
    assert "Round 1: Returned with comments by Rina Reviewer" in words
    assert "Attach the adopted plan." in words
    assert "1 question changed since then" in words
    drr = words[words.index("What kind of disaster risk reduction plan") :]
    assert "reduction plan has the city adopted? changed since returned" in words
    assert "Note of round 1 by Rina Reviewer: Which council resolution adopted it?" in drr
    assert "Reply from Eddy Editor" in drr and "Resolution 12/2024" in drr
    warning_block = page[page.index('id="q-se_early_warning"') :]
    warning_block = warning_block[: warning_block.index('<div class="question"', 10)]
    assert "changed since returned" not in warning_block
    assert "Does the warning reach the islands?" in warning_block
    assert "The city did not reply to this note." in warning_block

    # Approved: every note and reply is still there, on the timeline and the notes page.
    reviewer.post(review, data={"decision": "approve", "comment": "Thank you."})
    assert assessment.status == "approved"
    assert db.session.execute(db.select(db.func.count()).select_from(ReviewNote)).scalar() == 2
    assert db.session.execute(db.select(db.func.count()).select_from(ReviewReply)).scalar() == 1
    assert assessment.review_notes == []  # nothing open for the city to answer
    timeline = text_of(city_browser.get(f"/assessments/{assessment.id}/timeline").data.decode())
    assert "With 2 notes on questions. Comment: Attach the adopted plan." in timeline
    assert "Which council resolution adopted it?" in timeline
    assert "Does the warning reach the islands?" in timeline
    assert "Resolution 12/2024" in timeline
    assert "not changed since returned" in timeline
    notes_page = text_of(city_browser.get(f"/assessments/{assessment.id}/notes").data.decode())
    assert "Round 2: Approved" in notes_page and "Round 1: Returned with comments" in notes_page
    assert "Send the reply" not in notes_page


def test_only_the_citys_people_reply_and_only_while_returned(
    app, login, people, make_assessment, db
):
    city = people["city"]
    assessment = make_assessment(city, answers={"se_drr_plan": 2}, status="submitted")
    lifecycle.return_to_city(assessment, people["reviewer"], "See the note", {"se_drr_plan": "?"})
    db.session.commit()
    note = assessment.review_notes[0]
    url = f"/assessments/{assessment.id}/notes/{note.id}/replies"
    form = {f"note-{note.id}-text": "Here is the link."}

    stranger = signed_in(app, login, people["stranger"])
    refused = stranger.post(url, data=form)
    assert refused.status_code == 404 and b"Page not found" in refused.data
    assert b"Da Nang" not in refused.data
    assert signed_in(app, login, people["reviewer"]).post(url, data=form).status_code == 403
    assert signed_in(app, login, people["admin"]).post(url, data=form).status_code == 403
    assert note.replies == []

    lead = signed_in(app, login, people["lead"])
    empty = lead.post(url, data={f"note-{note.id}-text": "  "})
    assert empty.status_code == 400 and b"Write your reply first." in empty.data
    assert lead.post(url, data=form).status_code == 303
    db.session.refresh(note)
    assert [(r.text, r.created_by_id) for r in note.replies] == [
        ("Here is the link.", people["lead"].id)
    ]

    # Resubmitted: the note is closed for replies; so it stays after the next return.
    lifecycle.submit(assessment, people["lead"])
    db.session.commit()
    closed = lead.post(url, data={f"note-{note.id}-text": "Too late"}, follow_redirects=True)
    assert "the assessment is no longer back with the city" in closed.data.decode()
    assert len(note.replies) == 1
    lifecycle.return_to_city(assessment, people["reviewer"], "Again", {})
    db.session.commit()
    earlier = lead.post(url, data={f"note-{note.id}-text": "Late"}, follow_redirects=True)
    assert "earlier round of review" in earlier.data.decode()
    db.session.refresh(note)
    assert len(note.replies) == 1


class Links(HTMLParser):
    """Every link of a page: (href, rel, target, text)."""

    def __init__(self):
        super().__init__()
        self.links, self._open = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._open = [dict(attrs), ""]

    def handle_data(self, data):
        if self._open:
            self._open[1] += data

    def handle_endtag(self, tag):
        if tag == "a" and self._open:
            self.links.append(self._open)
            self._open = None


HOSTILE = [
    "javascript:alert(1) the plan",
    "JaVaScRiPt:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/plan.pdf",
    "Plan adopted in 2024, see the council website",
    'https://example.org/a"onmouseover="alert(1) quoted',
]


def test_evidence_links_on_the_review_page_are_http_or_https_only(
    client, login, people, make_assessment, db
):
    assessment = make_assessment(people["city"], answers={"se_drr_plan": 2}, status="submitted")
    answer = db.session.execute(db.select(Answer).filter_by(question_id="se_drr_plan")).scalar_one()
    # Stored as an older version or an import could have kept them, past today's form checks.
    answer.evidence = ["https://example.org/drr-plan.pdf The adopted plan", *HOSTILE]
    db.session.commit()
    login(client, people["reviewer"])
    page = client.get(f"/assessments/{assessment.id}/review").data.decode()
    block = page[page.index('id="q-se_drr_plan"') :]
    block = block[: block.index("</ul>")]
    parser = Links()
    parser.feed(block)
    hrefs = [attrs["href"] for attrs, _ in parser.links]
    assert hrefs == [
        "https://example.org/drr-plan.pdf",
        'https://example.org/a"onmouseover="alert(1)',
    ]
    for attrs, text in parser.links:
        assert attrs["rel"] == "noopener noreferrer" and attrs["target"] == "_blank"
        assert attrs["href"] in text  # the address is shown as text
        assert "onmouseover" not in attrs
    assert "The adopted plan" in block
    assert "javascript:alert(1)" in block and "JaVaScRiPt:alert(document.cookie)" in block
    assert "data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;" in block
    assert "<script>" not in block
    assert "Plan adopted in 2024, see the council website" in text_of(block)


def test_the_review_queue_lists_submitted_assessments_oldest_first(
    app, login, people, make_city, make_assessment, db
):
    city, lead = people["city"], people["lead"]
    surabaya = make_city("surabaya", "ID", name="Surabaya")
    now = utcnow()
    quick = make_assessment(city, "asus-quick", 2026)
    detailed = make_assessment(city, "asus-detailed", 2026)  # a draft, newer than the quick one
    older = make_assessment(surabaya, "asus-quick", 2025)
    make_assessment(surabaya, "asus-quick", 2024, status="approved")
    for assessment, days in ((quick, 3), (older, 12)):
        lifecycle.submit(assessment, lead, at=now - timedelta(days=days, hours=1))
    db.session.commit()
    assert detailed.status == "draft"

    network = signed_in(app, login, people["reviewer"])
    queue = text_of(network.get("/reviews").data.decode())
    assert "2 assessments waiting for review" in queue
    first, second = queue.index("Surabaya"), queue.index("Da Nang")
    assert first < second  # the one waiting longest first
    assert re.search(
        r"Surabaya Indonesia ASUS quick screening \S+ 2025 Lan Lead .*? 12 days", queue
    )
    assert re.search(r"Da Nang Viet Nam ASUS quick screening \S+ 2026 Lan Lead .*? 3 days", queue)

    # The count is in the header of network staff and admins, from one COUNT query.
    statements = []

    def keep(conn, cursor, statement, *args):
        statements.append(statement.lower())

    engine = app.extensions["sqlalchemy"].engine
    from sqlalchemy import event

    event.listen(engine, "before_cursor_execute", keep)
    try:
        home = network.get("/").data.decode()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert re.search(r"To review\s*<span class=\"count\">2</span>", home)
    counts = [s for s in statements if "count(" in s and "from assessment" in s]
    assert len(counts) == 1, counts
    admin_home = signed_in(app, login, people["admin"]).get("/").data.decode()
    assert 'To review <span class="count">2</span>' in admin_home
    assert "To review" not in signed_in(app, login, lead).get("/").data.decode()

    # The network home shows each questionnaire's latest: the submitted quick one is not hidden
    # behind the detailed draft of the same city.
    row = text_of(home[home.index(">Da Nang<") : home.index("</tbody>")])
    assert "2026 · ASUS quick screening" in row and "Submitted" in row
    assert "2026 · ASUS detailed maturity assessment" in row and "Draft" in row
    assert f'/assessments/{quick.id}/review"' in home


def test_the_timeline_tells_every_event_in_words(app, login, people, make_assessment, db):
    city, lead, editor, reviewer = (
        people["city"],
        people["lead"],
        people["editor"],
        people["reviewer"],
    )
    earlier = make_assessment(city, cycle=2025, answers={"se_drr_plan": 2}, status="approved")
    from toolkit.core import instrument

    assessment = answering.create_assessment(
        city, instrument.latest("asus-quick"), 2026, lead, carry_over_from=earlier
    )
    answering.assign_areas(
        assessment, {"security": {editor.id, lead.id}, "civic_social": {editor.id}}, lead
    )
    record("answers_saved", assessment, user=editor, area="security", count=3)
    record("answers_saved", assessment, user=editor, area="built_infrastructure", count=1)
    lifecycle.submit(assessment, lead)
    lifecycle.return_to_city(
        assessment,
        reviewer,
        "Attach the plan.",
        {"se_drr_plan": "Which one?", "se_early_warning": "?"},
    )
    lifecycle.reply_to_note(assessment.review_notes[0], editor, "The 2024 one.")
    lifecycle.submit(assessment, lead)
    lifecycle.return_to_city(assessment, reviewer, "Nearly there.", {})
    lifecycle.submit(assessment, lead)
    lifecycle.approve(assessment, reviewer, "Well documented.")
    lifecycle.reopen(assessment, people["admin"], "The 2026 flood data arrived late.")
    answering.assign_areas(assessment, {}, lead)
    record("demo_assessment_loaded", assessment, user=None, status="approved")
    db.session.commit()

    page = signed_in(app, login, editor).get(f"/assessments/{assessment.id}/timeline")
    html = page.data.decode()
    words = text_of(html)
    for sentence in (
        "Started For the 2026 cycle, with 1 answer carried over from 2025.",
        "Security to Eddy Editor, Lan Lead",
        "Answers saved 3 answers in Security.",
        "1 answer in Built Infrastructure.",
        "Submitted for review Sent to the network for review.",
        "Returned with comments With 2 notes on questions. Comment: Attach the plan.",
        "Returned with comments With no notes on single questions. Comment: Nearly there.",
        "Reply to a reviewer's note To the reviewer's note on “What kind of disaster risk",
        "Approved Read-only from now on. Comment: Well documented.",
        "Reopened The city can change its answers again. Reason: The 2026 flood data arrived late.",
        "No area is assigned to anyone now.",
        "Demo data loaded Demo data, loaded as Approved.",
        "Reply from Eddy Editor",
        "Which one?",
    ):
        assert sentence in words, sentence
    civic = instrument.latest("asus-quick").area("civic_social").name
    assert f"{civic} to Eddy Editor" in words
    assert "the system" in words  # the demo loader
    # No Python dicts, lists or user numbers.
    details = re.findall(r"<td>(.*?)</td>\s*</tr>", html, flags=re.S)
    assert details
    for cell in details:
        assert not re.search(r"[{}\[\]]|&#39;|: \d+\b", text_of(cell)), cell
    assert f"[{editor.id}]" not in words and "areas:" not in words
    assert assessment.status == "returned"
