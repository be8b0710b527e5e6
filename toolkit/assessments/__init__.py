"""Assessments: starting one, answering its areas, submitting, reviewing, results and history."""
