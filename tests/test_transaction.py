"""The request's transaction: what a view returns is committed, what it raises is not, and work
that waits for the commit runs only once the commit happened."""

from toolkit.core import transaction


def test_work_waiting_for_the_commit_runs_after_it_and_never_after_a_rollback(app):
    ran = []
    with app.test_request_context("/"):
        transaction.after_commit(lambda: ran.append("first"))
        assert ran == []  # in a request, nothing runs before the request's commit
        transaction.rollback()  # the view raised
        assert transaction.commit() == []
        transaction.after_commit(lambda: ran.append("second"))
        for callback in transaction.commit():
            callback()
    assert ran == ["second"]


def test_outside_a_request_waiting_work_runs_at_once(app):
    ran = []
    transaction.after_commit(lambda: ran.append("now"))
    assert ran == ["now"]
