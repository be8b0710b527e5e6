"""Every kind of background job, above its threshold, where no request is: in a `toolkit worker`
process (its own, on a Redis server of the test's own and the same database) and in a thread of
the app (no Redis). Each job is asked for in Vietnamese and runs in it; what it makes is opened
and read back: the PDFs with pypdf, the XLSX with openpyxl, the ZIP's PDFs one by one.
"""

import csv
import io
import threading
import zipfile

import pytest
import test_faults
import test_jobs
from babel.support import Translations
from openpyxl import load_workbook
from pypdf import PdfReader
from test_faults import start_worker
from test_jobs import wait_for

from reports.render import TRANSLATIONS
from toolkit.assessments.models import Assessment
from toolkit.cities.models import City
from toolkit.core import instrument
from toolkit.jobs import service as jobs
from toolkit.jobs.models import Job

# Fixtures of those modules, used here too.
redis_server = test_faults.redis_server
network_world = test_jobs.network_world

# The jobs run in worker processes and in threads of the app, on connections of their own.
pytestmark = pytest.mark.usefixtures("real_commits")

CITIES = ["Cebu", "Da Nang", "Surabaya"]  # the approved assessments of network_world
AREA_SCORES = "/network/export/area-scores"
VIETNAMESE = {"Accept-Language": "vi"}
IN_VIETNAMESE = Translations.load(TRANSLATIONS, ["vi"])
QUICK = instrument.latest("asus-quick").title.get("vi")  # "Sàng lọc nhanh theo ASUS"
# What the network PDF writes before its selection, in Vietnamese ("Phạm vi lựa chọn: ").
SELECTION = IN_VIETNAMESE.ugettext(
    "Selection: %(selection)s. %(count)d cities. Printed %(date)s."
).split("%(selection)s")[0]


@pytest.fixture(params=["worker", "in-process"])
def job_app(request, make_app, database_url, tmp_path):
    """(the app, where its jobs run): with the thresholds lowered so that the test's small
    network's report, ZIP, exports and network PDF all go to the background."""
    config = {
        "REPORT_JOB_QUESTIONS": 20,
        "EXPORT_JOB_ROWS": 2,
        "NETWORK_REPORT_JOB_CITIES": 2,
        "LANGUAGES": ["en", "vi"],
    }
    if request.param == "in-process":
        yield make_app(**config), request.param
        return
    server = request.getfixturevalue("redis_server")
    with (tmp_path / "worker.log").open("w") as log:
        worker = start_worker(database_url, server.url, log)
        try:
            yield make_app(REDIS_URL=server.url, **config), request.param
        finally:
            worker.kill()
            worker.wait()


def report(client, db):
    cebu = db.session.execute(
        db.select(Assessment.id).join(City).filter(City.slug == "cebu")
    ).scalar_one()
    return client.get(f"/assessments/{cebu}/report.pdf", headers=VIETNAMESE)


def pdf_of(data: bytes, language: str = "vi") -> PdfReader:
    reader = PdfReader(io.BytesIO(data))
    assert reader.trailer["/Root"]["/Lang"] == language  # the requester's language
    return reader


def check_report(download):
    reader = pdf_of(download.data)
    assert reader.metadata.title == f"Cebu: {QUICK} 2026"
    assert "Cebu" in reader.pages[0].extract_text()


def check_zip(download):
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    titles = sorted(pdf_of(archive.read(name)).metadata.title for name in archive.namelist())
    assert titles == [f"{city}: {QUICK} 2026" for city in CITIES]


def check_csv(download):
    assert download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"))))
    city = rows[0].index("city")
    assert sorted(row[city] for row in rows[1:]) == CITIES


def check_xlsx(download):
    workbook = load_workbook(io.BytesIO(download.data), read_only=True)
    rows = list(workbook["data"].iter_rows(values_only=True))
    city = rows[0].index("city")
    assert sorted(row[city] for row in rows[1:]) == CITIES
    # The README sheet is written in the requester's language; the data's columns are not.
    readme = [row for row in workbook["README"].iter_rows(values_only=True) if row]
    source = next(row[1] for row in readme if row[0] == IN_VIETNAMESE.ugettext("source"))
    exported = IN_VIETNAMESE.ugettext("ASUS City Self-Assessment Toolkit, exported %(when)s UTC")
    assert source.startswith(exported.split("%(when)s")[0]) and exported != source


def check_network_report(download):
    assert download.headers["Content-Disposition"] == (
        'attachment; filename="asus-network-asus-quick-2026.pdf"'
    )
    reader = pdf_of(download.data)
    title = IN_VIETNAMESE.ugettext("ASUS network comparison: %(questionnaire)s %(cycle)s")
    assert reader.metadata.title == title % {"questionnaire": QUICK, "cycle": 2026}
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert SELECTION in text and SELECTION != "Selection: "
    assert all(f"\n{city} " in text for city in CITIES) and "Iloilo" not in text  # a draft


KINDS = {
    "report": (report, check_report),
    "reports_zip": (
        lambda client, db: client.post("/network/reports.zip?cycle=2026", headers=VIETNAMESE),
        check_zip,
    ),
    "csv export": (
        lambda client, db: client.get(f"{AREA_SCORES}.csv?cycle=2026", headers=VIETNAMESE),
        check_csv,
    ),
    "xlsx export": (
        lambda client, db: client.get(f"{AREA_SCORES}.xlsx?cycle=2026", headers=VIETNAMESE),
        check_xlsx,
    ),
    "network_report": (
        lambda client, db: client.get("/network/report.pdf?cycle=2026", headers=VIETNAMESE),
        check_network_report,
    ),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_of_job_finishes_where_there_is_no_request(
    kind, job_app, login, network_world, db
):
    app, runner = job_app
    ask, check = KINDS[kind]
    with app.app_context():
        client = app.test_client()
        login(client, network_world[0])
        response = ask(client, db)
        assert response.status_code == 303, response.data
        job_url = response.headers["Location"]
        state = wait_for(client, job_url)
        assert state["status"] == "finished", state
        job = db.session.get(Job, job_url.rsplit("/", 1)[1])
        assert job.runner == runner and job.params["language"] == "vi"
        check(client.get(state["download"]))


def test_a_network_pdf_of_few_cities_is_still_served_at_once(job_app, login, network_world, db):
    app, _ = job_app
    with app.app_context():
        client = app.test_client()
        login(client, network_world[0])
        # Cebu only (Iloilo's draft is not approved): below the lowered threshold of 2 cities.
        response = client.get("/network/report.pdf?cycle=2026&country=PH", headers=VIETNAMESE)
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        text = pdf_of(response.data).pages[0].extract_text()
        assert SELECTION in text and "PH" in text
        assert db.session.execute(db.select(Job)).first() is None


def test_the_same_network_pdf_asked_twice_while_it_runs_is_one_job_of_its_requester(
    make_app, login, network_world, db, monkeypatch
):
    staff, other = network_world
    app = make_app(NETWORK_REPORT_JOB_CITIES=0)
    # The job waits until the test has asked again: "while it runs" does not depend on timing.
    asked = threading.Event()
    real = jobs.KINDS["network_report"]

    def held(params):
        asked.wait(60)
        return real.result(params)

    monkeypatch.setitem(jobs.KINDS, "network_report", jobs.Kind(held))
    with app.app_context():
        client = app.test_client()
        login(client, staff)
        url = "/network/report.pdf?cycle=2026&country=PH"
        first = client.get(url).headers["Location"]
        assert client.get(url).headers["Location"] == first
        another = client.get(f"{url}&status=any").headers["Location"]
        assert another != first  # another selection, another job
        asked.set()
        state = wait_for(client, first)
        assert state["status"] == "finished", state
        job = db.session.get(Job, first.rsplit("/", 1)[1])
        assert job.params["filter"]["country"] == "PH" and job.title == (
            "Network PDF of 1 city: ASUS quick screening, 2026"
        )
        text = pdf_of(client.get(state["download"]).data, "en").pages[0].extract_text()
        assert "Selection: Approved, PH. 1 cities." in text
        assert wait_for(client, another)["status"] == "finished"

        # Another network user's request is a job of their own; the first one's page is not theirs.
        login(client, other)
        theirs = client.get(url).headers["Location"]
        assert theirs != first
        assert client.get(first).status_code == 404
        assert client.get(f"{first}/status").status_code == 404
        assert client.get(state["download"]).status_code == 404
        assert wait_for(client, theirs)["status"] == "finished"
