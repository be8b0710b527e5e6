"""Accessibility: the pages people use pass axe-core's checks, with no serious or critical fault.

The toolkit serves city officials and network staff across ASEAN, some with a screen reader, low
vision or only a phone, so each main page is opened in Debian's Chromium (desktop, and a 390 px
phone for the area page), axe-core (pinned in package.json, installed by `make test` with
`npm ci`) is injected from node_modules, and every violation of impact "serious" or "critical"
fails the test: its rule, what it asks for, and the HTML of the first elements at fault.

Pages carry a strict Content-Security-Policy (script-src 'self'), so the browser context bypasses
it, only to inject axe. Without node_modules/axe-core the tests skip (and fail under CI=true).
"""

from dataclasses import dataclass

import pytest
from conftest import ROOT, service_missing, sign_in
from playwright.sync_api import expect

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("critical", "serious")
NODES_SHOWN = 3
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

# Some answers to the ASUS quick screening (levels 0-3, numbers in %), so scores show.
ANSWERS = {
    "cs_participation": 2,
    "cs_global_agendas": 1,
    "cs_women_senior_posts": 27.5,
    "cs_gender_budget": 0,
    "cs_social_registry": 3,
    "cs_informal_settlements": 1,
    "hw_primary_care": 2,
    "hw_water_connections": 84,
    "se_risk_assessment": 1,
    "qe_ghg_inventory": 0,
    "qe_waste_collection": 92,
    "bi_land_use_plan": 2,
}


@dataclass(frozen=True)
class Screen:
    """A page as one person sees it: who signs in, where they go, what its heading says."""

    who: str | None  # "editor", "network", or None for a visitor who is not signed in
    path: str  # {draft} and {submitted} are the ids of the two assessments of Da Nang
    heading: str
    options: dict | None = None  # browser context options, e.g. a phone's viewport


SCREENS = {
    "sign-in": Screen(None, "/auth/login", "Sign in"),
    "editor-home": Screen("editor", "/", "Da Nang"),
    "network-home": Screen("network", "/", "Cities of the network"),
    "editor-overview": Screen(
        "editor", "/assessments/{draft}", "Da Nang: ASUS quick screening 2026"
    ),
    "editor-area": Screen("editor", "/assessments/{draft}/areas/civic_social", "Civic and Social"),
    "editor-area-phone": Screen(
        "editor", "/assessments/{draft}/areas/civic_social", "Civic and Social", PHONE
    ),
    "network-overview": Screen(
        "network", "/assessments/{submitted}", "Da Nang: ASUS quick screening 2025"
    ),
    "network-area": Screen(
        "network", "/assessments/{submitted}/areas/health_wellbeing", "Health and Well-being"
    ),
    "network-results": Screen("network", "/assessments/{submitted}/results", "Results"),
    "network-review": Screen(
        "network", "/assessments/{submitted}/review", "Review the assessment of Da Nang"
    ),
    "network-downloads": Screen("network", "/jobs/", "Your downloads"),
    "network-queue": Screen("network", "/reviews", "Assessments waiting for review"),
    "network-timeline": Screen("network", "/assessments/{submitted}/timeline", "Timeline"),
    "editor-notes": Screen("editor", "/assessments/{draft}/notes", "Reviewer's notes"),
    "editor-account": Screen("editor", "/account", "Account"),
}


@pytest.fixture(scope="module")
def axe_script():
    """The path of axe-core's browser build, installed by `make test` (npm ci)."""
    if not AXE.exists():
        service_missing(f"axe-core ({AXE.relative_to(ROOT)}, installed by `make test` or `npm ci`)")
    return AXE


@pytest.fixture
def assessed_server(live_server, db, make_assessment):
    """live_server, plus a 2025 assessment of Da Nang submitted for review with some answers.

    Returns (base URL, users, {"draft": id of the empty 2026 draft, "submitted": id}). The rows
    are committed before any page is requested: the server reads the database afresh each request.
    """
    base, users = live_server
    city = users["editor"].city
    draft = next(a for a in city.assessments if a.cycle == 2026)
    submitted = make_assessment(city, cycle=2025, answers=ANSWERS, status="submitted")
    ids = {"draft": draft.id, "submitted": submitted.id}
    db.session.commit()  # the server's own app and connections must see the rows
    return base, users, ids


def axe_violations(page, script) -> list[dict]:
    """Inject axe-core into the open page and return the violations it finds there."""
    page.add_script_tag(path=str(script))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return result["violations"]


def describe(violations: list[dict]) -> str:
    """Each violation with enough to fix it: rule, impact, help, and the first nodes at fault."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{v['helpUrl']}]")
        for node in v["nodes"][:NODES_SHOWN]:
            lines.append(f"    {' '.join(node['target'])}: {node['html']}")
            summary = node.get("failureSummary") or ""
            lines.extend(f"      {line.strip()}" for line in summary.splitlines() if line.strip())
        if len(v["nodes"]) > NODES_SHOWN:
            lines.append(f"    … and {len(v['nodes']) - NODES_SHOWN} more element(s)")
    return "\n".join(lines)


@pytest.mark.parametrize("screen", SCREENS.values(), ids=SCREENS.keys())
def test_page_has_no_serious_accessibility_violation(
    screen, assessed_server, open_page, axe_script
):
    """The page, as its user sees it, has no axe-core violation of impact serious or critical."""
    base, users, ids = assessed_server
    page = open_page(bypass_csp=True, **(screen.options or {}))
    if screen.who:
        sign_in(page, base, users[screen.who].email)
        expect(page).to_have_url(base + "/")
    path = screen.path.format(**ids)
    page.goto(base + path)
    expect(page).to_have_url(base + path)
    expect(page.get_by_role("heading", level=1)).to_contain_text(screen.heading)

    violations = [v for v in axe_violations(page, axe_script) if v["impact"] in BLOCKING]
    assert not violations, (
        f"{len(violations)} serious or critical accessibility violation(s) on {path} "
        f"({screen.who or 'not signed in'}"
        f"{', 390 px wide' if screen.options else ''}):\n{describe(violations)}"
    )
