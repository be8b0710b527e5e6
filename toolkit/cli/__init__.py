"""The `toolkit` console script: every command of the project (a Flask `FlaskGroup`)."""

from flask.cli import FlaskGroup

from toolkit import create_app
from toolkit.cli.backup import backup_command, restore_command
from toolkit.cli.questionnaire import questionnaire_cli

main = FlaskGroup(
    create_app=create_app,
    help="ASUS City Self-Assessment Toolkit: questionnaires, database, users, demo data, server.",
)
main.add_command(questionnaire_cli)
main.add_command(backup_command)
main.add_command(restore_command)
