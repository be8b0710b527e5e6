"""`toolkit i18n extract|update|compile`: the interface catalogues, with pybabel underneath.

Run from a checkout: `extract` reads the sources that babel.cfg names into
toolkit/translations/messages.pot; `update` merges it into each language's catalogue (creating
a missing one); `compile` writes the .mo files the app reads (the install step runs it).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import click
from babel.messages.frontend import CommandLineInterface

from toolkit.i18n.languages import CODES, SOURCE, TRANSLATIONS, catalogue_path

PROJECT = TRANSLATIONS.parent.parent
TEMPLATE = TRANSLATIONS / "messages.pot"
# Keywords besides pybabel's own (_, gettext, ngettext, lazy_gettext...): the toolkit's alias.
KEYWORDS = ("_l", "lazy_ngettext:1,2")


@click.group("i18n")
def i18n_cli():
    """Extract, update and compile the interface's translation catalogues."""


@i18n_cli.command("extract")
def extract_command():
    """Collect every translatable string into toolkit/translations/messages.pot."""
    TRANSLATIONS.mkdir(exist_ok=True)
    extract(TEMPLATE)


def extract(output: Path) -> None:
    """Write the catalogue template of the sources that babel.cfg names to `output`."""
    keywords = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    # From the project's folder, so that the catalogues name files by their path in it.
    with contextlib.chdir(PROJECT):
        _pybabel(
            "extract",
            "-F",
            "babel.cfg",
            *keywords,
            "--no-wrap",
            "--sort-by-file",
            "--project",
            "ASUS City Self-Assessment Toolkit",
            "-o",
            str(output.resolve()),
            ".",
        )


@i18n_cli.command("update")
def update_command():
    """Merge messages.pot into every language's catalogue; a new language gets one."""
    for code in CODES:
        if code == SOURCE:
            continue
        command = "update" if catalogue_path(code).exists() else "init"
        extra = ("--previous", "--no-wrap") if command == "update" else ("--no-wrap",)
        _pybabel(command, "-i", str(TEMPLATE), "-d", str(TRANSLATIONS), "-l", code, *extra)


@i18n_cli.command("compile")
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=TRANSLATIONS,
    help="Where the catalogues are (default: the toolkit's).",
)
def compile_command(directory):
    """Compile every catalogue to the .mo file the app reads; fuzzy entries are left out."""
    if not any(directory.glob("*/LC_MESSAGES/messages.po")):
        click.echo(f"no catalogues in {directory}")
        return
    _pybabel("compile", "-d", str(directory), "--statistics")


def _pybabel(*args: str) -> None:
    try:
        CommandLineInterface().run(["pybabel", *args])
    except SystemExit as stop:
        if stop.code:
            raise click.ClickException(f"pybabel {args[0]} failed") from None
