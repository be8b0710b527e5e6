"""The wheel built from the checkout installs and runs on its own: `toolkit db upgrade`,
`toolkit demo` and `toolkit serve` from a fresh virtualenv outside the checkout, which then
serves a sign-in, a city page and a report PDF, with every file found through the package."""

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Left out of the copy the wheel is built from: what a checkout collects besides its sources.
NOT_SOURCES = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "*.egg-info",
    "node_modules",
    "instance",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    ".ruff_cache",
)
# Documented in README.md.
DEMO_LEAD = "lead.surabaya@example.org"
DEMO_PASSWORD = "asus-demo-2026"
STEP_TIMEOUT = 180  # seconds for one command: the demo writes thousands of answers
START_TIMEOUT = 60  # seconds for gunicorn to answer /healthz


def run(command: list[str], **options) -> str:
    """Run a command to completion; fail with its output if it fails or hangs."""
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=STEP_TIMEOUT, **options
        )
    except subprocess.TimeoutExpired as stuck:
        pytest.fail(f"{' '.join(command)} did not finish in {STEP_TIMEOUT} s:\n{stuck.output}")
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} exited with {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel of the checkout, built from a clean copy so no earlier build/ leaks into it.

    Without build isolation the build uses this environment's setuptools rather than
    downloading one.
    """
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=NOT_SOURCES)
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    run([*pip_wheel, "--quiet", "--wheel-dir", str(work / "dist"), str(source)], cwd=work)
    (built,) = (work / "dist").glob("asus_toolkit-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh virtualenv holding the wheel alone; its dependencies are this environment's.

    The .pth line only adds this environment's site-packages to the path: the .pth files in
    there (an editable install of the checkout among them) are not run.
    """
    venv = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    pip_install = [sys.executable, "-m", "pip", "--python", str(python), "install"]
    run([*pip_install, "--no-deps", "--quiet", str(wheel)])
    own = run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    dependencies = sorted({sysconfig.get_path("purelib"), sysconfig.get_path("platlib")})
    (Path(own.strip()) / "toolkit_test_dependencies.pth").write_text("\n".join(dependencies))
    return venv


@pytest.fixture
def environment(tmp_path) -> dict[str, str]:
    """The variables of a deployment on SQLite in `tmp_path`, with nothing of the checkout's."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"PYTHONPATH", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "BIND"}
        and not name.startswith("TOOLKIT_")
    }
    return env | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'toolkit.db'}",
        "SECRET_KEY": secrets.token_hex(32),
        # The test talks plain http to gunicorn; behind a proxy cookies stay Secure.
        "TOOLKIT_SESSION_COOKIE_SECURE": "false",
        "WEB_CONCURRENCY": "1",
    }


def test_the_wheel_carries_every_file_the_app_reads_and_no_tests(wheel):
    with zipfile.ZipFile(wheel) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}

    def shipped(folder: str, pattern: str, inside: str | None = None) -> list[str]:
        files = sorted(p for p in (ROOT / folder).glob(pattern) if p.is_file())
        assert files, f"nothing matches {folder}/{pattern} in the checkout"
        return [
            f"{inside or folder}/{path.relative_to(ROOT / folder).as_posix()}" for path in files
        ]

    # templates/ reaches the package through the toolkit/templates link: the wheel must hold
    # the files themselves, byte for byte.
    for name in shipped("templates", "**/*.html", inside="toolkit/templates"):
        assert name in contents, f"{name} is missing from the wheel"
        original = ROOT / "templates" / name.removeprefix("toolkit/templates/")
        assert contents[name] == original.read_bytes(), f"{name} differs from the checkout's"
    expected = (
        shipped("toolkit/static", "**/*")
        + shipped("toolkit/migrations", "alembic.ini")
        + shipped("toolkit/migrations", "env.py")
        + shipped("toolkit/migrations", "script.py.mako")
        + shipped("toolkit/migrations", "versions/*.py")
        + shipped("reports/templates", "*.html")
        + shipped("reports/assets", "**/*")
        + shipped("questionnaires", "*.yaml")
        + shipped("questionnaires", "FORMAT.md")
        + shipped("toolkit/cli", "gunicorn_settings.py")
        + [f"toolkit/cli/{path.name}" for path in (ROOT / "toolkit" / "cli").glob("*.yaml")]
    )
    missing = [name for name in expected if name not in contents]
    assert not missing, f"missing from the wheel: {missing}"
    stray = [
        name
        for name in contents
        if name.split("/")[0] in {"tests", "bench", "scripts", "examples", "docs", "templates"}
        or "__pycache__" in name
    ]
    assert not stray, f"the wheel should not carry: {stray}"


def test_the_installed_wheel_migrates_loads_the_demo_and_serves_pages_and_pdfs(
    installed, environment, tmp_path
):
    toolkit = str(installed / "bin" / "toolkit")
    python = str(installed / "bin" / "python")
    # Everything runs in tmp_path, away from the checkout: `python -m` and gunicorn both put
    # the working directory first on the path.
    packages = "questionnaires, reports, toolkit"
    where = run(
        [python, "-c", f"import {packages}\nfor p in ({packages}): print(p.__file__)"],
        env=environment,
        cwd=tmp_path,
    )
    for module_file in where.split():
        assert Path(module_file).is_relative_to(installed), (
            f"{module_file} is imported from outside the fresh virtualenv {installed}"
        )

    run([toolkit, "db", "upgrade"], env=environment, cwd=tmp_path)
    assert DEMO_LEAD in run([toolkit, "demo"], env=environment, cwd=tmp_path)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with log.open("w") as output:
        # A session of its own, so the master and its workers can be stopped together.
        server = subprocess.Popen(
            [toolkit, "serve", "--bind", f"127.0.0.1:{port}"],
            env=environment,
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_healthy(f"{base}/healthz", server, log)
            browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
            sign_in(browser, base)
            city = fetch(browser, f"{base}/cities/surabaya").decode()
            # The wheel carries the compiled catalogues: a browser that asks for no language
            # gets the city's, Surabaya's Indonesian; the lead then chooses English.
            assert '<html lang="id">' in city and "Penilaian" in city, city[:500]
            token = re.search(r'name="csrf_token" value="([^"]+)"', city)[1]
            form = urllib.parse.urlencode({"csrf_token": token, "language": "en"}).encode()
            fetch(browser, f"{base}/language", form)
            city = fetch(browser, f"{base}/cities/surabaya").decode()
            assert '<html lang="en">' in city and "Surabaya" in city
            assessment = quick_assessment_on(city)
            pdf = fetch(browser, f"{base}/assessments/{assessment}/report.pdf")
            assert pdf.startswith(b"%PDF"), f"report.pdf is not a PDF: {pdf[:200]!r}"
            fetch(browser, f"{base}/static/css/toolkit.css")
            fetch(browser, f"{base}/report-assets/report.css")
        except BaseException:
            print(f"--- {log} ---\n{log.read_text()}")
            raise
        finally:
            stop(server)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if server.poll() is not None:
            pytest.fail(f"toolkit serve exited with {server.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"toolkit serve did not answer {url} in {START_TIMEOUT} s")
        time.sleep(0.2)


def fetch(browser: urllib.request.OpenerDirector, url: str, data: bytes | None = None) -> bytes:
    """The body of a 200 answer (after redirects); fails with the status otherwise."""
    try:
        with browser.open(url, data=data, timeout=60) as response:
            assert response.status == 200, f"{url} answered {response.status}"
            return response.read()
    except urllib.error.HTTPError as error:
        pytest.fail(f"{url} answered {error.code}: {error.read()[:500]!r}")


def sign_in(browser: urllib.request.OpenerDirector, base: str) -> None:
    """Sign in as the demo lead of Surabaya through the login page (its template and token)."""
    page = fetch(browser, f"{base}/auth/login").decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, f"no sign-in form on /auth/login:\n{page[:500]}"
    form = {"csrf_token": token[1], "email": DEMO_LEAD, "password": DEMO_PASSWORD}
    home = fetch(browser, f"{base}/auth/login", urllib.parse.urlencode(form).encode()).decode()
    assert 'name="password"' not in home, "signing in as the demo lead failed"


def quick_assessment_on(city_page: str) -> int:
    """The id of an assessment of the quick screening listed on a city page: its report is
    printed while one waits (the detailed one's becomes a background job)."""
    for row in re.findall(r"<tr>.*?</tr>", city_page, flags=re.S):
        link = re.search(r'href="/assessments/(\d+)"', row)
        if link and "quick screening" in row:
            return int(link[1])
    pytest.fail("the city page lists no assessment of the quick screening")


def stop(server: subprocess.Popen) -> None:
    """Stop gunicorn's master and workers: politely, then whatever is left of them for good."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):  # none left
        os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=10)
