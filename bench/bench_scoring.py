"""Scoring speed: a full asus-detailed assessment scored, against a floor measured in this run.

The floor is the least work any scorer must do: parse every answer once. The ratio says how
much the whole scorecard (scores, completeness, stages, ranked recommendations) costs on top.
Run: .venv/bin/python bench/bench_scoring.py
"""

import time

from questionnaires import catalogue, score


def best_of(function, repeat=7, number=50) -> float:
    """Best mean seconds per call over `repeat` rounds of `number` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            function()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def main() -> None:
    questionnaire = next(q for q in catalogue() if q.id == "asus-detailed")
    answers = {}
    for i, question in enumerate(questionnaire.questions()):
        if question.type == "level":
            answers[question.id] = i % 6
        elif question.type == "yes_no":
            answers[question.id] = "yes"
        elif question.type == "choice":
            answers[question.id] = question.choices[i % len(question.choices)].id
        elif question.type == "multi_choice":
            answers[question.id] = [question.choices[0].id]
        elif question.type == "number":
            answers[question.id] = dict(question.bands)[1 + i % len(question.bands)]

    def floor():
        for question_id, value in answers.items():
            questionnaire.question(question_id).parse_answer(value)

    def full():
        score(questionnaire, answers)

    floor_time, full_time = best_of(floor), best_of(full)
    print(f"questions: {len(answers)}")
    print(f"floor (parse every answer): {floor_time * 1e3:.3f} ms")
    print(f"score(asus-detailed, all answered): {full_time * 1e3:.3f} ms")
    print(f"ratio score/floor: {full_time / floor_time:.1f}x")


if __name__ == "__main__":
    main()
