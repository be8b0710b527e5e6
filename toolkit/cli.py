"""The `toolkit` console script: every command of the project."""

import click

from .questionnaire_cli import questionnaire_cli


@click.group()
def main():
    """ASUS City Self-Assessment Toolkit."""


main.add_command(questionnaire_cli)
