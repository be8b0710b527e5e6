"""`make lint`'s dependency audit: pip-audit over the virtualenv, with a fallback for packages it
could not look up.

pip-audit asks PyPI for each installed release (`/pypi/<name>/<version>/json`). Some networks
only serve each project's own page (`/pypi/<name>/json`), whose `vulnerabilities` are those of
the project's latest release: a package pip-audit skipped is checked there when the installed
release is the latest. What neither can check is listed by name, never passed over in silence.
Exit 1 when any installed release has a known vulnerability.
Run: .venv/bin/python scripts/audit_dependencies.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from importlib.metadata import distributions

from packaging.utils import canonicalize_name

PROJECT_PAGE = "https://pypi.org/pypi/{name}/json"
OWN = "asus-toolkit"  # this project, installed editable: not on PyPI


def main() -> int:
    audit = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip_audit",
            "--skip-editable",
            "--format",
            "json",
            "--progress-spinner",
            "off",
        ],
        capture_output=True,
        text=True,
    )
    try:
        dependencies = json.loads(audit.stdout)["dependencies"]
    except (ValueError, KeyError):
        print(f"pip-audit did not report (exit {audit.returncode}):\n{audit.stderr}")
        return 2
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in distributions()}
    found, audited, by_page, unchecked = [], [], [], []
    for dependency in dependencies:
        name = canonicalize_name(dependency["name"])
        if name == OWN:
            continue
        if "skip_reason" not in dependency:
            audited.append(name)
            found += [(name, dependency["version"], v["id"]) for v in dependency["vulns"]]
            continue
        page = project_page(name)
        if page is None or page["info"]["version"] != installed.get(name):
            unchecked.append(f"{name} {installed.get(name, '?')}")
            continue
        by_page.append(name)
        found += [
            (name, installed[name], v["id"])
            for v in page.get("vulnerabilities", [])
            if not v.get("withdrawn")
        ]
    print(
        f"Dependencies: {len(audited)} audited by pip-audit, {len(by_page)} by their PyPI page "
        f"(latest release), {len(unchecked)} not checked"
        + (f" (not their latest release: {', '.join(unchecked)})" if unchecked else "")
    )
    for name, version, vulnerability in found:
        print(f"VULNERABLE: {name} {version}: {vulnerability}")
    if not found:
        print("No known vulnerabilities.")
    return 1 if found else 0


def project_page(name: str) -> dict | None:
    """The project's JSON page on PyPI, or None when it cannot be had."""
    try:
        with urllib.request.urlopen(PROJECT_PAGE.format(name=name), timeout=30) as response:
            return json.load(response)
    except (urllib.error.URLError, TimeoutError, ValueError):
        return None


if __name__ == "__main__":
    sys.exit(main())
