"""Filling an assessment: server time of an asus-detailed area page and of one autosave, against
a floor route of the same app measured in the same run, on SQLite and on PostgreSQL.

The floor is the least a signed-in request that changes something can do in this app: load the
user from the session, read one row, write one row, commit, with the same middleware and
security headers. It is added to the app here only (it is not part of the product).

Every request goes through the real WSGI app in this process (Flask's test client): the figure is
the server's time, not the network's. The three requests take turns so that drift in the machine
touches all of them alike. The assessment is half answered, as a draft usually is; each autosave
really changes its answer (two levels in turn), so it writes a revision and refreshes the scores.

Targets (issue 5): autosave within 2x the floor and 20 ms; area page within 4x the floor.
Run: .venv/bin/python bench/fill.py [--rounds N] [--postgres URL]
"""

from __future__ import annotations

import argparse
import statistics
import time

from databases import each_database
from flask import jsonify
from flask_login import login_required
from flask_migrate import upgrade

from toolkit import create_app
from toolkit.accounts import service as accounts
from toolkit.accounts.models import User
from toolkit.assessments.answering import AnswerInput, create_assessment, save_answers
from toolkit.assessments.models import Answer
from toolkit.cities.models import City, Country
from toolkit.core import instrument
from toolkit.core.extensions import db

AREA = "security"
QUESTION = "se_drr_plan"  # a level question of asus-detailed's security area


def build_app(url: str):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,  # CSRFProtect's check is a constant cost on both routes
            "RATELIMIT_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
        }
    )

    @login_required
    def floor(answer_id: int):
        answer = db.session.get(Answer, answer_id)
        answer.comment = f"floor {time.perf_counter_ns()}"
        return jsonify(version=answer.version)

    app.add_url_rule("/bench/floor/<int:answer_id>", "bench_floor", floor, methods=["POST"])
    return app


def seed(app) -> tuple[int, int, int]:
    """A city, its editor, and a half-answered asus-detailed draft; returns their ids."""
    with app.app_context():
        upgrade()
        country = Country(code="VN", name="Viet Nam")
        city = City(slug="da-nang", name="Da Nang", country=country)
        editor = User(email="editor@example.org", name="Eddy", role="city_editor", city=city)
        db.session.add_all([country, city, editor])
        db.session.flush()
        questionnaire = instrument.latest("asus-detailed")
        assessment = create_assessment(city, questionnaire, 2026, editor)
        given = {}
        for i, q in enumerate(questionnaire.questions()):
            if i % 2 and q.type == "level":
                given[q.id] = AnswerInput(value=i % 6)
        given[QUESTION] = AnswerInput(value=1)
        save_answers(assessment, given, editor)
        db.session.commit()
        answer = db.session.execute(
            db.select(Answer).filter_by(assessment_id=assessment.id, question_id=QUESTION)
        ).scalar_one()
        return editor.id, assessment.id, answer.id


def measure(url: str, rounds: int) -> dict[str, float]:
    """Median milliseconds of the floor, the area page and an autosave on the database at `url`."""
    app = build_app(url)
    editor_id, assessment_id, answer_id = seed(app)
    client = app.test_client()
    with app.app_context():
        editor = db.session.get(User, editor_id)
        accounts.start_session(editor, "bench")  # a real sign-in session
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = editor.get_id()
            session["_fresh"] = True
    version = [1]

    def floor():
        return client.post(f"/bench/floor/{answer_id}")

    def area():
        return client.get(f"/assessments/{assessment_id}/areas/{AREA}")

    def autosave():
        value = "2" if version[0] % 2 else "1"
        response = client.post(
            f"/assessments/{assessment_id}/questions/{QUESTION}",
            data={f"{QUESTION}__value": value, f"{QUESTION}__version": str(version[0])},
            headers={"Accept": "application/json"},
        )
        version[0] = response.get_json()["version"]
        return response

    requests = {"floor": floor, "area page": area, "autosave": autosave}
    times = {name: [] for name in requests}
    for round_ in range(rounds + 10):
        for name, request in requests.items():
            start = time.perf_counter()
            response = request()
            elapsed = time.perf_counter() - start
            assert response.status_code == 200, (name, response.status_code)
            if round_ >= 10:  # the first rounds warm caches and connections
                times[name].append(elapsed)
    with app.app_context():
        db.engine.dispose()
    return {name: statistics.median(values) * 1e3 for name, values in times.items()}


def report(label: str, figures: dict[str, float]) -> None:
    floor = figures["floor"]
    print(f"{label}:")
    print(f"  floor (signed in, one row read, one written): {floor:.2f} ms")
    print(
        f"  area page ({AREA}, asus-detailed): {figures['area page']:.2f} ms, "
        f"{figures['area page'] / floor:.2f}x floor (target <= 4x)"
    )
    print(
        f"  autosave (one answer): {figures['autosave']:.2f} ms, "
        f"{figures['autosave'] / floor:.2f}x floor (targets <= 2x and <= 20 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    for label, url in each_database(args.postgres):
        report(label, measure(url, args.rounds))


if __name__ == "__main__":
    main()
