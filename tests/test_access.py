"""Every route, for every role, on the user's own city and on another city.

A new route without an entry in ROUTES fails `test_every_route_is_in_the_table`: decide who may
use it before it ships.
"""

import re

import pytest
from conftest import _make_app, add_assessment, add_city, add_user

from toolkit.accounts.models import User
from toolkit.actions.models import Action
from toolkit.assessments.models import Assessment
from toolkit.core.extensions import db
from toolkit.evidence import service as evidence

ACTORS = ("anonymous", "admin", "network", "lead", "editor")
LOGIN = 302  # anonymous users are sent to the sign-in page


def expect(anonymous=LOGIN, admin=200, network=200, lead=200, editor=200):
    return dict(zip(ACTORS, (anonymous, admin, network, lead, editor), strict=True))


ADMIN_ONLY = expect(network=403, lead=403, editor=403)
ADMIN_ONLY_OTHER = expect(network=403, lead=404, editor=404)

# endpoint -> [(method, url, {actor: status})]. {own} is the city of the lead and editor,
# {other} another city; {own_editor} / {other_editor} are editors of those cities.
ROUTES = {
    "static": [("GET", "/static/css/toolkit.css", expect(anonymous=200))],
    "auth.login": [
        ("GET", "/auth/login", expect(anonymous=200, admin=302, network=302, lead=302, editor=302)),
        # An empty form is refused as a wrong password is; the signed-in are sent on.
        (
            "POST",
            "/auth/login",
            expect(anonymous=401, admin=302, network=302, lead=302, editor=302),
        ),
    ],
    "auth.logout": [("POST", "/auth/logout", expect(admin=302, network=302, lead=302, editor=302))],
    "auth.set_password": [
        ("GET", "/auth/set-password/not-a-token", expect(404, 404, 404, 404, 404)),
        ("POST", "/auth/set-password/not-a-token", expect(404, 404, 404, 404, 404)),
    ],
    "home.index": [("GET", "/", expect())],
    # The languages and their translation state are public; anyone may switch (see test_i18n).
    "i18n.index": [("GET", "/languages", expect(200, 200, 200, 200, 200))],
    "i18n.switch": [("POST", "/language", expect(302, 302, 302, 302, 302))],
    "home.reviews": [("GET", "/reviews", expect(lead=403, editor=403))],
    "home.questionnaire_changes": [
        ("GET", "/questionnaires/asus-quick/2026.2/changes", expect()),
        (
            "GET",
            "/questionnaires/asus-quick/1999.9/changes",
            expect(admin=404, network=404, lead=404, editor=404),
        ),
    ],
    # The questionnaire is no city's data: anyone signed in may print it blank.
    "report.blank": [
        ("GET", "/questionnaires/asus-quick/2026.2/blank.pdf?area=security", expect()),
        (
            "GET",
            "/questionnaires/asus-quick/1999.9/blank.pdf",
            expect(admin=404, network=404, lead=404, editor=404),
        ),
        (
            "GET",
            "/questionnaires/asus-quick/2026.2/blank.pdf?area=nowhere",
            expect(admin=404, network=404, lead=404, editor=404),
        ),
    ],
    "cities.city": [
        ("GET", "/cities/{own}", expect()),
        ("GET", "/cities/{other}", expect(lead=404, editor=404)),
        ("GET", "/cities/no-such-city", expect(LOGIN, 404, 404, 404, 404)),
    ],
    "cities.team": [
        ("GET", "/cities/{own}/team", expect(network=403, editor=403)),
        ("GET", "/cities/{other}/team", expect(network=403, lead=404, editor=404)),
        ("POST", "/cities/{own}/team", expect(network=403, editor=403)),
    ],
    "cities.index": [("GET", "/cities/", ADMIN_ONLY)],
    "cities.new": [("GET", "/cities/new", ADMIN_ONLY), ("POST", "/cities/new", ADMIN_ONLY)],
    "cities.edit": [
        ("GET", "/cities/{own}/edit", ADMIN_ONLY),
        # An empty POST keeps every value of the city: saved, back to the list.
        ("POST", "/cities/{other}/edit", expect(admin=302, network=403, lead=403, editor=403)),
    ],
    "assessments.start": [
        ("GET", "/cities/{own}/assessments/new", expect(network=403, editor=403)),
        ("GET", "/cities/{other}/assessments/new", expect(network=403, lead=404, editor=404)),
        # Without a questionnaire and cycle the form comes back with its errors.
        (
            "POST",
            "/cities/{own}/assessments/new",
            expect(admin=400, network=403, lead=400, editor=403),
        ),
        (
            "POST",
            "/cities/{other}/assessments/new",
            expect(admin=400, network=403, lead=404, editor=404),
        ),
    ],
    "assessments.overview": [
        ("GET", "/assessments/{own_assessment}", expect()),
        ("GET", "/assessments/{other_assessment}", expect(lead=404, editor=404)),
    ],
    "assessments.area": [
        ("GET", "/assessments/{own_assessment}/areas/security", expect()),
        ("GET", "/assessments/{other_assessment}/areas/security", expect(lead=404, editor=404)),
        ("GET", "/assessments/{own_assessment}/areas/nowhere", expect(LOGIN, 404, 404, 404, 404)),
        # An empty POST saves nothing and returns to the page.
        (
            "POST",
            "/assessments/{own_assessment}/areas/security",
            expect(admin=302, network=403, lead=302, editor=302),
        ),
        (
            "POST",
            "/assessments/{other_assessment}/areas/security",
            expect(admin=302, network=403, lead=404, editor=404),
        ),
        # Nobody changes a submitted assessment, administrators included.
        (
            "POST",
            "/assessments/{own_submitted}/areas/security",
            expect(admin=403, network=403, lead=403, editor=403),
        ),
    ],
    # Whoever reads an assessment may download it as a workbook; those who answer it upload.
    "assessments.workbook": [
        ("GET", "/assessments/{own_assessment}/workbook", expect()),
        ("GET", "/assessments/{other_assessment}/workbook", expect(lead=404, editor=404)),
        ("GET", "/assessments/{own_approved}/workbook", expect()),
    ],
    "assessments.area_workbook": [
        ("GET", "/assessments/{own_assessment}/areas/security/workbook", expect()),
        (
            "GET",
            "/assessments/{other_assessment}/areas/security/workbook",
            expect(lead=404, editor=404),
        ),
        (
            "GET",
            "/assessments/{own_assessment}/areas/nowhere/workbook",
            expect(LOGIN, 404, 404, 404, 404),
        ),
    ],
    "assessments.upload_workbook": [
        ("GET", "/assessments/{own_assessment}/workbook/upload", expect(network=403)),
        (
            "GET",
            "/assessments/{other_assessment}/workbook/upload",
            expect(network=403, lead=404, editor=404),
        ),
        # Without a file the form comes back with its error.
        (
            "POST",
            "/assessments/{own_assessment}/workbook/upload",
            expect(admin=400, network=403, lead=400, editor=400),
        ),
        (
            "POST",
            "/assessments/{other_assessment}/workbook/upload",
            expect(admin=400, network=403, lead=404, editor=404),
        ),
        (
            "POST",
            "/assessments/{own_submitted}/workbook/upload",
            expect(admin=403, network=403, lead=403, editor=403),
        ),
    ],
    "assessments.confirm_workbook": [
        # Only the uploader's own upload is found.
        (
            "POST",
            "/assessments/{own_assessment}/workbook/uploads/999999",
            expect(admin=404, network=403, lead=404, editor=404),
        ),
        (
            "POST",
            "/assessments/{other_assessment}/workbook/uploads/999999",
            expect(admin=404, network=403, lead=404, editor=404),
        ),
    ],
    # Who is signed in and their CSRF token, for answers.js after a new sign-in.
    "assessments.signed_in": [("GET", "/assessments/signed-in", expect())],
    "assessments.save_answer": [
        # An empty autosave changes nothing and says so (200).
        (
            "POST",
            "/assessments/{own_assessment}/questions/se_risk_assessment",
            expect(network=403),
        ),
        (
            "POST",
            "/assessments/{other_assessment}/questions/se_risk_assessment",
            expect(network=403, lead=404, editor=404),
        ),
        (
            "POST",
            "/assessments/{own_submitted}/questions/se_risk_assessment",
            expect(admin=403, network=403, lead=403, editor=403),
        ),
        (
            "POST",
            "/assessments/{own_approved}/questions/se_risk_assessment",
            expect(admin=403, network=403, lead=403, editor=403),
        ),
        (
            "POST",
            "/assessments/{own_assessment}/questions/no_such_question",
            expect(LOGIN, 404, 403, 404, 404),
        ),
    ],
    "assessments.history": [
        ("GET", "/assessments/{own_assessment}/questions/se_risk_assessment/history", expect()),
        (
            "GET",
            "/assessments/{other_assessment}/questions/se_risk_assessment/history",
            expect(lead=404, editor=404),
        ),
        (
            "GET",
            "/assessments/{own_assessment}/questions/no_such_question/history",
            expect(LOGIN, 404, 404, 404, 404),
        ),
    ],
    "assessments.assignments": [
        ("GET", "/assessments/{own_assessment}/assignments", expect(network=403, editor=403)),
        (
            "GET",
            "/assessments/{other_assessment}/assignments",
            expect(network=403, lead=404, editor=404),
        ),
        (
            "GET",
            "/assessments/{own_submitted}/assignments",
            expect(admin=403, network=403, lead=403, editor=403),
        ),
        # An empty POST takes every area from everyone: saved, back to the overview.
        (
            "POST",
            "/assessments/{own_assessment}/assignments",
            expect(admin=302, network=403, lead=302, editor=403),
        ),
    ],
    "assessments.submit": [
        # Unanswered questions: back to the overview with the list of what is missing.
        (
            "POST",
            "/assessments/{own_assessment}/submit",
            expect(admin=302, network=403, lead=302, editor=403),
        ),
        (
            "POST",
            "/assessments/{other_assessment}/submit",
            expect(admin=302, network=403, lead=404, editor=404),
        ),
        # Already submitted: those who may submit are told so on the overview.
        (
            "POST",
            "/assessments/{own_submitted}/submit",
            expect(admin=303, network=403, lead=303, editor=403),
        ),
    ],
    "assessments.results": [
        ("GET", "/assessments/{own_assessment}/results", expect()),
        ("GET", "/assessments/{other_assessment}/results", expect(lead=404, editor=404)),
    ],
    "assessments.review": [
        ("GET", "/assessments/{own_submitted}/review", expect(lead=403, editor=403)),
        # A draft is not waiting for review: reviewers are told so on the overview.
        (
            "GET",
            "/assessments/{own_assessment}/review",
            expect(admin=303, network=303, lead=403, editor=403),
        ),
        (
            "GET",
            "/assessments/{other_assessment}/review",
            expect(admin=303, network=303, lead=404, editor=404),
        ),
        # Without a decision the form comes back with its errors.
        (
            "POST",
            "/assessments/{own_submitted}/review",
            expect(admin=400, network=400, lead=403, editor=403),
        ),
    ],
    "assessments.reopen": [
        ("GET", "/assessments/{own_approved}/reopen", ADMIN_ONLY),
        (
            "GET",
            "/assessments/{own_assessment}/reopen",
            expect(admin=303, network=403, lead=403, editor=403),
        ),
        ("POST", "/assessments/{own_approved}/reopen", ADMIN_ONLY),
    ],
    "assessments.notes": [
        ("GET", "/assessments/{own_assessment}/notes", expect()),
        ("GET", "/assessments/{other_assessment}/notes", expect(lead=404, editor=404)),
    ],
    # Replies to real notes: tests/test_review.py.
    "assessments.reply": [
        (
            "POST",
            "/assessments/{own_assessment}/notes/999999/replies",
            expect(LOGIN, 404, 404, 404, 404),
        ),
        (
            "POST",
            "/assessments/{other_assessment}/notes/999999/replies",
            expect(LOGIN, 404, 404, 404, 404),
        ),
    ],
    "assessments.timeline": [
        ("GET", "/assessments/{own_assessment}/timeline", expect()),
        ("GET", "/assessments/{other_assessment}/timeline", expect(lead=404, editor=404)),
    ],
    # Evidence files: read as the answers are, attached and removed as they are changed.
    "evidence.download": [
        ("GET", "/assessments/{own_assessment}/files/{own_file}", expect()),
        ("GET", "/assessments/{other_assessment}/files/{other_file}", expect(lead=404, editor=404)),
        # A file of another assessment, under this one's address.
        (
            "GET",
            "/assessments/{own_assessment}/files/{other_file}",
            expect(LOGIN, 404, 404, 404, 404),
        ),
    ],
    "evidence.attach": [
        # No file chosen: back to the question, saying so.
        (
            "POST",
            "/assessments/{own_assessment}/questions/se_risk_assessment/files",
            expect(admin=303, network=403, lead=303, editor=303),
        ),
        (
            "POST",
            "/assessments/{other_assessment}/questions/se_risk_assessment/files",
            expect(admin=303, network=403, lead=404, editor=404),
        ),
        (
            "POST",
            "/assessments/{own_submitted}/questions/se_risk_assessment/files",
            expect(admin=403, network=403, lead=403, editor=403),
        ),
        (
            "POST",
            "/assessments/{own_assessment}/questions/no_such_question/files",
            expect(LOGIN, 404, 403, 404, 404),
        ),
    ],
    "evidence.remove": [
        (
            "POST",
            "/assessments/{own_assessment}/files/{own_file}/remove",
            expect(admin=303, network=403, lead=303, editor=303),
        ),
        (
            "POST",
            "/assessments/{other_assessment}/files/{other_file}/remove",
            expect(admin=303, network=403, lead=404, editor=404),
        ),
    ],
    "report.pdf": [
        ("GET", "/assessments/{own_assessment}/report.pdf", expect()),
        ("GET", "/assessments/{other_assessment}/report.pdf", expect(lead=404, editor=404)),
        ("GET", "/assessments/999999/report.pdf", expect(LOGIN, 404, 404, 404, 404)),
    ],
    "report.preview": [
        ("GET", "/assessments/{own_assessment}/report", expect()),
        ("GET", "/assessments/{other_assessment}/report", expect(lead=404, editor=404)),
    ],
    "report.static": [("GET", "/report-assets/report.css", expect(anonymous=200))],
    "network.dashboard": [
        ("GET", "/network/", expect(lead=403, editor=403)),
        ("GET", "/network/?status=nonsense", expect(LOGIN, 400, 400, 403, 403)),
    ],
    "network.export": [
        ("GET", "/network/export/area-scores.csv", expect(lead=403, editor=403)),
        ("GET", "/network/export/area-scores.xlsx", expect(lead=403, editor=403)),
        ("GET", "/network/export/area-scores.pdf", expect(404, 404, 404, 404, 404)),
        ("GET", "/network/export/answers.csv", expect(lead=403, editor=403)),
        ("GET", "/network/export/answers.xlsx", expect(lead=403, editor=403)),
    ],
    "network.reports_zip": [
        ("POST", "/network/reports.zip", expect(admin=303, network=303, lead=403, editor=403)),
    ],
    # A job is its requester's alone (tests/test_jobs.py); an unknown one is a 404 for all.
    "jobs.index": [("GET", "/jobs/", expect())],
    "jobs.job": [("GET", "/jobs/0123456789abcdef", expect(LOGIN, 404, 404, 404, 404))],
    "jobs.status": [("GET", "/jobs/0123456789abcdef/status", expect(LOGIN, 404, 404, 404, 404))],
    "jobs.download": [
        ("GET", "/jobs/0123456789abcdef/download", expect(LOGIN, 404, 404, 404, 404))
    ],
    "jobs.retry": [("POST", "/jobs/0123456789abcdef/retry", expect(LOGIN, 404, 404, 404, 404))],
    "health.alive": [("GET", "/healthz", expect(200, 200, 200, 200, 200))],
    "health.ready": [("GET", "/readyz", expect(200, 200, 200, 200, 200))],
    "network.city_profile": [
        ("GET", "/network/cities/{own}", expect()),
        ("GET", "/network/cities/{other}", expect(lead=404, editor=404)),
        ("GET", "/network/cities/nowhere", expect(LOGIN, 404, 404, 404, 404)),
    ],
    "network.compare": [
        ("GET", "/network/compare?city={own}&city={other}", expect(lead=403, editor=403)),
        (
            "GET",
            "/network/compare?city=a&city=b&city=c&city=d&city=e&city=f",
            expect(LOGIN, 400, 400, 403, 403),
        ),
    ],
    "network.network_report": [("GET", "/network/report.pdf", expect(lead=403, editor=403))],
    "network.cohorts": [("GET", "/network/cohorts", expect(lead=403, editor=403))],
    "network.cohort_form": [
        ("GET", "/network/cohorts/new", ADMIN_ONLY),
        ("POST", "/network/cohorts/new", expect(admin=400, network=403, lead=403, editor=403)),
        ("GET", "/network/cohorts/999999/edit", expect(LOGIN, 404, 403, 403, 403)),
    ],
    "api.openapi": [("GET", "/api/v1/openapi.json", expect(200, 200, 200, 200, 200))],
    # The API signs in with tokens (tests/test_api.py); with a session it follows the pages.
    "api.cities": [("GET", "/api/v1/cities", expect(anonymous=401))],
    "api.assessments": [("GET", "/api/v1/assessments", expect(anonymous=401))],
    "api.assessment": [
        ("GET", "/api/v1/assessments/{own_assessment}", expect(anonymous=401)),
        ("GET", "/api/v1/assessments/{other_assessment}", expect(401, 200, 200, 404, 404)),
    ],
    "api.compare": [("GET", "/api/v1/compare", expect(401, 200, 200, 403, 403))],
    "api.tokens": [
        ("GET", "/account/api-tokens", expect()),
        ("POST", "/account/api-tokens", expect(LOGIN, 400, 400, 400, 400)),
    ],
    "api.revoke": [
        ("POST", "/account/api-tokens/999999/revoke", expect(LOGIN, 404, 404, 404, 404))
    ],
    "account.index": [("GET", "/account", expect())],
    "account.end_session": [
        ("POST", "/account/sessions/999999/sign-out", expect(LOGIN, 404, 404, 404, 404))
    ],
    "account.sign_out_everywhere": [
        (
            "POST",
            "/account/sign-out-everywhere",
            expect(admin=302, network=302, lead=302, editor=302),
        )
    ],
    "people.index": [("GET", "/people/", ADMIN_ONLY)],
    "people.new": [("GET", "/people/new", ADMIN_ONLY), ("POST", "/people/new", ADMIN_ONLY)],
    "people.edit": [
        ("GET", "/people/{own_editor}/edit", ADMIN_ONLY),
        (
            "POST",
            "/people/{other_editor}/edit",
            expect(admin=302, network=403, lead=403, editor=403),
        ),
    ],
    "people.deactivate": [
        (
            "POST",
            "/people/{own_editor}/deactivate",
            expect(admin=302, network=403, lead=302, editor=403),
        ),
        (
            "POST",
            "/people/{other_editor}/deactivate",
            expect(admin=302, network=403, lead=404, editor=404),
        ),
        (
            "POST",
            "/people/{own_lead}/deactivate",
            expect(admin=302, network=403, lead=403, editor=403),
        ),
        ("POST", "/people/999999/deactivate", expect(LOGIN, 404, 404, 404, 404)),
    ],
    "people.reactivate": [
        (
            "POST",
            "/people/{own_editor}/reactivate",
            expect(admin=302, network=403, lead=302, editor=403),
        ),
        (
            "POST",
            "/people/{other_editor}/reactivate",
            expect(admin=302, network=403, lead=404, editor=404),
        ),
    ],
    "people.reset_link": [
        ("POST", "/people/{own_editor}/reset-link", expect(network=403, editor=403)),
        ("POST", "/people/{other_editor}/reset-link", expect(network=403, lead=404, editor=404)),
    ],
    # Results by global framework (SDG targets, Sendai, NUA, Paris) and their export: as the
    # assessment's results; the network's view per SDG target: network staff only.
    "frameworks.assessment_frameworks": [
        ("GET", "/assessments/{own_assessment}/frameworks", expect()),
        ("GET", "/assessments/{other_assessment}/frameworks", expect(lead=404, editor=404)),
    ],
    "frameworks.export": [
        ("GET", "/assessments/{own_assessment}/frameworks.xlsx", expect()),
        ("GET", "/assessments/{own_assessment}/frameworks.csv", expect()),
        ("GET", "/assessments/{other_assessment}/frameworks.csv", expect(lead=404, editor=404)),
    ],
    "frameworks.network_frameworks": [
        ("GET", "/network/frameworks", expect(lead=403, editor=403)),
        ("GET", "/network/frameworks?status=nonsense", expect(LOGIN, 400, 400, 403, 403)),
    ],
    # Action plans: the city's people read their plan and note progress, its lead (and
    # administrators) plan and change; network staff read every city's, never change one.
    "actions.plan": [
        ("GET", "/assessments/{own_assessment}/actions", expect()),
        ("GET", "/assessments/{other_assessment}/actions", expect(lead=404, editor=404)),
    ],
    "actions.export": [
        ("GET", "/assessments/{own_assessment}/actions.csv", expect()),
        ("GET", "/assessments/{other_assessment}/actions.xlsx", expect(lead=404, editor=404)),
    ],
    "actions.city_plan": [
        ("GET", "/cities/{own}/actions", expect()),
        ("GET", "/cities/{other}/actions", expect(lead=404, editor=404)),
    ],
    "actions.new": [
        ("GET", "/assessments/{own_assessment}/actions/new", expect(network=403, editor=403)),
        # An empty form is refused with its messages.
        (
            "POST",
            "/assessments/{own_assessment}/actions/new",
            expect(admin=400, network=403, lead=400, editor=403),
        ),
        (
            "POST",
            "/assessments/{other_assessment}/actions/new",
            expect(admin=400, network=403, lead=404, editor=404),
        ),
    ],
    "actions.show": [
        ("GET", "/actions/{own_action}", expect()),
        ("GET", "/actions/{other_action}", expect(lead=404, editor=404)),
        ("GET", "/actions/999999", expect(LOGIN, 404, 404, 404, 404)),
    ],
    "actions.edit": [
        ("GET", "/actions/{own_action}/edit", expect(network=403, editor=403)),
        (
            "POST",
            "/actions/{own_action}/edit",
            expect(admin=400, network=403, lead=400, editor=403),
        ),
        (
            "POST",
            "/actions/{other_action}/edit",
            expect(admin=400, network=403, lead=404, editor=404),
        ),
    ],
    "actions.note": [
        (
            "POST",
            "/actions/{own_action}/notes",
            expect(admin=400, network=403, lead=400, editor=400),
        ),
        (
            "POST",
            "/actions/{other_action}/notes",
            expect(admin=400, network=403, lead=404, editor=404),
        ),
    ],
    "actions.network": [("GET", "/network/actions", expect(lead=403, editor=403))],
    # Notifications: each person's own; another's (or none) is a 404 for everyone.
    "notifications.index": [("GET", "/notifications/", expect())],
    "notifications.follow": [("GET", "/notifications/999999", expect(LOGIN, 404, 404, 404, 404))],
    "notifications.read": [
        ("POST", "/notifications/999999/read", expect(LOGIN, 404, 404, 404, 404))
    ],
    "notifications.read_all": [
        ("POST", "/notifications/read", expect(admin=303, network=303, lead=303, editor=303))
    ],
    "account.email_choice": [
        ("POST", "/account/email", expect(admin=400, network=400, lead=400, editor=400))
    ],
}
# Anonymous users of a POST-only route meet the sign-in redirect too.
CASES = [
    pytest.param(method, url, actor, status, id=f"{endpoint}-{method}-{url}-{actor}")
    for endpoint, rows in ROUTES.items()
    for method, url, statuses in rows
    for actor, status in statuses.items()
]


# Every rule's methods (besides HEAD and OPTIONS, which Flask adds): a method added to a route
# is a decision too, and ROUTES must say who may use it.
METHODS = {
    "/static/<path:filename>": "GET",
    "/healthz": "GET",
    "/readyz": "GET",
    "/auth/login": "GET POST",
    "/auth/logout": "POST",
    "/auth/set-password/<token>": "GET POST",
    "/account": "GET",
    "/language": "POST",
    "/languages": "GET",
    "/account/sessions/<int:session_id>/sign-out": "POST",
    "/account/sign-out-everywhere": "POST",
    "/": "GET",
    "/reviews": "GET",
    "/questionnaires/<questionnaire_id>/<version>/changes": "GET",
    "/questionnaires/<questionnaire_id>/<version>/blank.pdf": "GET",
    "/people/": "GET",
    "/people/new": "GET POST",
    "/people/<int:user_id>/edit": "GET POST",
    "/people/<int:user_id>/deactivate": "POST",
    "/people/<int:user_id>/reactivate": "POST",
    "/people/<int:user_id>/reset-link": "POST",
    "/cities/<slug>": "GET",
    "/cities/<slug>/team": "GET POST",
    "/cities/": "GET",
    "/cities/new": "GET POST",
    "/cities/<slug>/edit": "GET POST",
    "/cities/<slug>/assessments/new": "GET POST",
    "/assessments/<int:assessment_id>": "GET",
    "/assessments/<int:assessment_id>/areas/<area_id>": "GET POST",
    "/assessments/<int:assessment_id>/workbook": "GET",
    "/assessments/<int:assessment_id>/areas/<area_id>/workbook": "GET",
    "/assessments/<int:assessment_id>/workbook/upload": "GET POST",
    "/assessments/<int:assessment_id>/workbook/uploads/<int:upload_id>": "POST",
    "/assessments/signed-in": "GET",
    "/assessments/<int:assessment_id>/questions/<question_id>": "POST",
    "/assessments/<int:assessment_id>/questions/<question_id>/history": "GET",
    "/assessments/<int:assessment_id>/assignments": "GET POST",
    "/assessments/<int:assessment_id>/submit": "POST",
    "/assessments/<int:assessment_id>/results": "GET",
    "/assessments/<int:assessment_id>/review": "GET POST",
    "/assessments/<int:assessment_id>/reopen": "GET POST",
    "/assessments/<int:assessment_id>/notes": "GET",
    "/assessments/<int:assessment_id>/notes/<int:note_id>/replies": "POST",
    "/assessments/<int:assessment_id>/timeline": "GET",
    "/assessments/<int:assessment_id>/questions/<question_id>/files": "POST",
    "/assessments/<int:assessment_id>/files/<int:file_id>/remove": "POST",
    "/assessments/<int:assessment_id>/files/<int:file_id>": "GET",
    "/report-assets/<path:filename>": "GET",
    "/assessments/<int:assessment_id>/report.pdf": "GET",
    "/assessments/<int:assessment_id>/report": "GET",
    "/network/": "GET",
    "/network/export/<any('area-scores', answers):name>.<any(csv, xlsx):kind>": "GET",
    "/network/reports.zip": "POST",
    "/network/cities/<slug>": "GET",
    "/network/report.pdf": "GET",
    "/network/compare": "GET",
    "/network/cohorts": "GET",
    "/network/cohorts/<int:cohort_id>/edit": "GET POST",
    "/network/cohorts/new": "GET POST",
    "/jobs/": "GET",
    "/jobs/<job_id>": "GET",
    "/jobs/<job_id>/status": "GET",
    "/jobs/<job_id>/download": "GET",
    "/jobs/<job_id>/retry": "POST",
    "/api/v1/openapi.json": "GET",
    "/api/v1/cities": "GET",
    "/api/v1/assessments": "GET",
    "/api/v1/assessments/<int:assessment_id>": "GET",
    "/api/v1/compare": "GET",
    "/account/api-tokens": "GET POST",
    "/account/api-tokens/<int:token_id>/revoke": "POST",
    "/assessments/<int:assessment_id>/frameworks": "GET",
    "/assessments/<int:assessment_id>/frameworks.<any(csv, xlsx):kind>": "GET",
    "/network/frameworks": "GET",
    "/assessments/<int:assessment_id>/actions": "GET",
    "/assessments/<int:assessment_id>/actions.<any(csv, xlsx):kind>": "GET",
    "/assessments/<int:assessment_id>/actions/new": "GET POST",
    "/actions/<int:action_id>": "GET",
    "/actions/<int:action_id>/edit": "GET POST",
    "/actions/<int:action_id>/notes": "POST",
    "/cities/<slug>/actions": "GET",
    "/network/actions": "GET",
    # Notifications
    "/notifications/": "GET",
    "/notifications/<int:notification_id>": "GET",
    "/notifications/<int:notification_id>/read": "POST",
    "/notifications/read": "POST",
    "/account/email": "POST",
}


def test_every_route_is_in_the_table(app):
    rules = list(app.url_map.iter_rules())
    endpoints = {rule.endpoint for rule in rules}
    missing = endpoints - set(ROUTES)
    assert not missing, f"add these routes to the access table: {sorted(missing)}"
    assert not set(ROUTES) - endpoints, "the table names routes that no longer exist"

    methods = {rule.rule: " ".join(sorted(rule.methods - {"HEAD", "OPTIONS"})) for rule in rules}
    assert methods == METHODS, "a route's methods changed: update METHODS and ROUTES"
    allowed = {endpoint: set() for endpoint in endpoints}
    for rule in rules:
        allowed[rule.endpoint].update(METHODS[rule.rule].split())
    tried = {
        endpoint: {method for method, _url, _statuses in rows} for endpoint, rows in ROUTES.items()
    }
    assert tried == allowed, "ROUTES must try every method of every route"


@pytest.fixture(scope="module")
def world_connection(database_engine):
    """The module's connection, in a transaction that holds the world; rolled back at the end."""
    with database_engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture(scope="module")
def world_app(database_url, world_connection):
    """One app for the module's hundreds of requests, on the module's connection."""
    return _make_app(database_url, world_connection)


def build_world():
    """Two cities with their people and assessments, flushed: users by actor, and the values of
    ROUTES' placeholders."""
    own, other = add_city("da-nang"), add_city("surabaya", "ID")
    people = {
        "admin": add_user("admin"),
        "network": add_user("network"),
        "lead": add_user("city_lead", own),
        "editor": add_user("city_editor", own),
        "other_lead": add_user("city_lead", other),
        "other_editor": add_user("city_editor", other),
    }
    names = {
        "own": own.slug,
        "other": other.slug,
        "own_editor": people["editor"].id,
        "own_lead": people["lead"].id,
        "other_editor": people["other_editor"].id,
        "own_assessment": add_assessment(own).id,
        "own_submitted": add_assessment(own, cycle=2025, status="submitted").id,
        "own_approved": add_assessment(own, "asus-detailed", cycle=2025, status="approved").id,
        "other_assessment": add_assessment(other).id,
    }
    for city in ("own", "other"):
        assessment = db.session.get(Assessment, names[f"{city}_assessment"])
        plan = evidence.check("plan.pdf", b"%PDF-1.4\n%%EOF\n")
        answer = evidence.attach(assessment, "se_risk_assessment", [plan], people["admin"])
        names[f"{city}_file"] = answer.files[0].id
        action = Action(city_id=assessment.city_id, assessment=assessment, title="Plan")
        db.session.add(action)
        db.session.flush()
        names[f"{city}_action"] = action.id
    return people, names


@pytest.fixture(scope="module")
def world(world_app):
    """The world, built once for the module: user ids by actor, and ROUTES' placeholders."""
    with world_app.app_context():
        people, names = build_world()
        db.session.commit()
        return {actor: user.id for actor, user in people.items()}, names


@pytest.fixture
def database_connection(world_connection, world):
    """Each test in a savepoint of the module's transaction: it sees the world, and what it
    changes is rolled back."""
    savepoint = world_connection.begin_nested()
    yield world_connection
    savepoint.rollback()


@pytest.fixture
def app(world_app, database_connection):
    with world_app.app_context():
        yield world_app


@pytest.mark.parametrize(("method", "url", "actor", "status"), CASES)
def test_route_access(client, login, world, method, url, actor, status):
    user_ids, names = world
    if actor != "anonymous":
        login(client, db.session.get(User, user_ids[actor]))
    response = client.open(url.format(**names), method=method)
    response.close()
    assert response.status_code == status
    if status == 404 and actor in ("lead", "editor"):
        # Another city's object looks exactly like a missing one.
        assert b"Page not found" in response.data
        assert b"surabaya" not in response.data.lower()


# The links a page offers follow the same rules as the routes (templates ask `can`): each role
# sees exactly these of the watched links, on its own city and on another one.
WATCHED = {
    "team": "/cities/{own}/team",
    "start": "/cities/{own}/assessments/new",
    "start_other": "/cities/{other}/assessments/new",
    "edit_city": "/cities/{own}/edit",
    "edit_other": "/cities/{other}/edit",
    "compare": "/network/",
    "reviews": "/reviews",
    "users": "/people/",
    "cities": "/cities/",
    "new_cohort": "/network/cohorts/new",
    "change_cohort": "/network/cohorts/{cohort}/edit",
}
NAV = {"admin": {"compare", "reviews", "users", "cities"}, "network": {"compare", "reviews"}}
LINKS = {
    "/": {
        "admin": NAV["admin"],
        "network": NAV["network"],
        "lead": {"team", "start"},
        "editor": set(),
    },
    "/cities/{own}": {
        "admin": NAV["admin"] | {"start", "edit_city"},
        "network": NAV["network"],
        "lead": {"team", "start"},
        "editor": set(),
    },
    "/cities/{other}": {
        "admin": NAV["admin"] | {"start_other", "edit_other"},
        "network": NAV["network"],
    },
    "/network/cohorts": {
        "admin": NAV["admin"] | {"new_cohort", "change_cohort"},
        "network": NAV["network"],
    },
}
LINK_CASES = [
    pytest.param(url, actor, links, id=f"{url}-{actor}")
    for url, by_actor in LINKS.items()
    for actor, links in by_actor.items()
]


@pytest.mark.parametrize(("url", "actor", "links"), LINK_CASES)
def test_pages_show_each_role_its_links(client, login, world, db, url, actor, links):
    from toolkit.network.models import Cohort

    user_ids, names = world
    cohort = Cohort(name="Coastal cities", countries=["VN"])
    db.session.add(cohort)
    db.session.commit()
    names = {**names, "cohort": cohort.id}
    login(client, db.session.get(User, user_ids[actor]))
    page = client.get(url.format(**names)).data.decode()
    hrefs = set(re.findall(r'href="([^"?#]+)', page))
    shown = {name for name, href in WATCHED.items() if href.format(**names) in hrefs}
    assert shown == links


@pytest.mark.parametrize(
    ("actor", "city", "allowed"),
    [
        ("admin", "own", False),  # administrators manage people from the Users page
        ("network", "own", False),
        ("lead", "own", True),
        ("lead", "other", False),
        ("editor", "own", False),
    ],
)
def test_only_the_citys_lead_has_its_team_in_the_menus(world, db, actor, city, allowed):
    from toolkit.cities.models import City
    from toolkit.core.access import can

    user_ids, names = world
    place = db.session.execute(db.select(City).filter_by(slug=names[city])).scalar_one()
    assert can(db.session.get(User, user_ids[actor]), "manage_own_team", place) is allowed
