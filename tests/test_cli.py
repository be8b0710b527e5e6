"""`toolkit questionnaire list | check | score` as an author or analyst runs them."""

import json

from click.testing import CliRunner

from toolkit.cli import main


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_list_shows_both_questionnaires_with_counts_per_area():
    result = run("questionnaire", "list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split()[:9] == [
        "ID",
        "VERSION",
        "QUESTIONS",
        "CS",
        "HW",
        "SE",
        "QE",
        "BI",
        "II",
    ]
    quick = [line.split()[1:9] for line in lines if line.startswith("asus-quick")]
    assert quick == [
        ["2026.1", "36", "6", "6", "6", "6", "6", "6"],
        ["2026.2", "39", "8", "6", "6", "6", "6", "7"],
    ]
    assert any(line.startswith("asus-detailed") for line in lines)


def test_check_passes_good_files_and_lists_every_problem_of_bad_ones(tmp_path, example_text):
    good = tmp_path / "good.yaml"
    good.write_text(example_text, encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        example_text.replace(
            "type: level\n", "type: level\n            weight: heavy\n", 1
        ).replace('version: "2026.1"\n', ""),
        encoding="utf-8",
    )

    ok = run("questionnaire", "check", str(good))
    assert ok.exit_code == 0
    assert ok.output == f"{good}: ok: example 2026.1, 7 questions in 6 areas and 6 sub-areas\n"

    failed = run("questionnaire", "check", str(good), str(bad))
    assert failed.exit_code == 1
    assert f"{bad}: 2 problem(s)" in failed.output
    assert f"{bad}:1: version: is required" in failed.output
    assert (
        f"{bad}:19: areas[0].sub_areas[0].questions[0].weight: "
        "must be a positive number, got 'heavy'" in failed.output
    )


def test_check_on_the_shipped_files():
    result = run(
        "questionnaire",
        "check",
        "questionnaires/asus-quick-2026.1.yaml",
        "questionnaires/asus-detailed-2026.1.yaml",
    )
    assert result.exit_code == 0, result.output
    assert result.output.count(": ok: ") == 2


def test_score_prints_a_table_and_json():
    table = run("questionnaire", "score", "asus-quick", "examples/answers-quick.yaml")
    assert table.exit_code == 0, table.output
    assert "Security" in table.output and "Overall" in table.output
    assert "PRIORITY RECOMMENDATIONS" in table.output
    assert "1 required question(s) not answered yet." in table.output

    data = json.loads(
        run("questionnaire", "score", "asus-quick", "examples/answers-quick.yaml", "--json").output
    )
    assert [a["id"] for a in data["areas"]][:2] == ["civic_social", "health_wellbeing"]
    assert data["missing_required"] == ["qe_water_quality"]
    assert data["recommendations"][0]["rank"] == 1


def test_score_explains_bad_answers_without_a_traceback(tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"cs_participation": 9, "nope": 1}))
    result = run("questionnaire", "score", "asus-quick", str(answers))
    assert result.exit_code == 1
    assert "cs_participation: must be a level from 0 to 3, got 9" in result.output
    assert "nope: no such question in asus-quick" in result.output

    unknown = run("questionnaire", "score", "asus-nothing", str(answers))
    assert unknown.exit_code == 1
    assert "no questionnaire 'asus-nothing'; known: asus-detailed, asus-quick" in unknown.output
