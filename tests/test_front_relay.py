"""How a front door follows the core's answers on a relayed connection.

A front door that retires (after a runaway query) or stops must not leave
while an answer it relays is still coming from the core: it waits until
every relayed request has its whole answer. These tests feed the answer
reader (:class:`lcgraph.api.front._Answers`, real h11 parsing) the bytes a
core sends, split at every possible place, and check when the front door
counts the connection as busy. ``tests/test_fronts.py`` runs the real
process tree, including a front door retiring while pages are relayed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lcgraph.api.front import Front, _Answers
from lcgraph.config import Settings


class _Link:
    """Stands in for the relay object (the bookkeeping only needs its identity)."""


@pytest.fixture
def front(tmp_path: Path) -> Front:
    return Front(Settings(), str(tmp_path / "core.sock"), tmp_path)


def _answers(front: Front) -> tuple[_Answers, _Link]:
    link = _Link()
    return _Answers(front, link), link  # type: ignore[arg-type]


OK_BODY = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nhello"
HEAD_ANSWER = b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 157\r\n\r\n"
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
CREATED = b"HTTP/1.1 201 Created\r\nlocation: /store?graph=x\r\ncontent-length: 0\r\n\r\n"
CHUNKED = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"


def test_busy_until_the_last_byte_of_the_answer(front: Front) -> None:
    answers, link = _answers(front)
    answers.expect("GET")
    assert link in front._relays_busy
    answers.received(OK_BODY[:-1])  # head and part of the body: still coming
    assert answers.outstanding == 1 and link in front._relays_busy
    answers.received(OK_BODY[-1:])
    assert answers.outstanding == 0 and link not in front._relays_busy


def test_an_answer_to_head_has_no_body_whatever_it_announces(front: Front) -> None:
    answers, link = _answers(front)
    answers.expect("HEAD")
    answers.received(HEAD_ANSWER)
    assert answers.outstanding == 0 and link not in front._relays_busy


def test_100_continue_is_not_the_answer(front: Front) -> None:
    answers, _ = _answers(front)
    answers.expect("PUT")
    answers.received(CONTINUE)
    assert answers.outstanding == 1
    answers.received(CREATED)
    assert answers.outstanding == 0


@pytest.mark.parametrize("step", [1, 7, 64])
def test_pipelined_answers_split_anywhere(front: Front, step: int) -> None:
    """Four requests in a row; the answers arrive in pieces of ``step`` bytes."""
    stream = OK_BODY + HEAD_ANSWER + CONTINUE + CREATED + CHUNKED
    ends = {
        len(OK_BODY): 3,
        len(OK_BODY + HEAD_ANSWER): 2,
        len(OK_BODY + HEAD_ANSWER + CONTINUE + CREATED): 1,
        len(stream): 0,
    }
    answers, link = _answers(front)
    for method in ("GET", "HEAD", "PUT", "GET"):
        answers.expect(method)
    seen = []
    expected = []
    outstanding = 4
    for start in range(0, len(stream), step):
        end = min(start + step, len(stream))
        answers.received(stream[start:end])
        for boundary, left in ends.items():
            if start < boundary <= end:
                outstanding = left
        seen.append(answers.outstanding)
        expected.append(outstanding)
    assert seen == expected
    assert link not in front._relays_busy


def test_a_request_sent_after_an_idle_spell_counts_again(front: Front) -> None:
    answers, link = _answers(front)
    answers.expect("GET")
    answers.received(OK_BODY)
    assert link not in front._relays_busy
    answers.expect("GET")
    assert link in front._relays_busy and answers.outstanding == 1
    answers.received(CHUNKED)
    assert answers.outstanding == 0


def test_an_answer_that_closes_ends_the_following(front: Front) -> None:
    answers, link = _answers(front)
    answers.expect("GET")
    answers.expect("GET")  # pipelined; the core will not answer it after closing
    answers.received(b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok")
    assert answers.outstanding == 0 and link not in front._relays_busy


def test_unreadable_answers_count_as_nothing_outstanding(front: Front) -> None:
    answers, link = _answers(front)
    answers.expect("GET")
    answers.received(b"this is not HTTP\r\n\r\n")
    assert answers.outstanding == 0 and link not in front._relays_busy
    answers.expect("GET")  # no longer followed: never holds a retiring front door
    assert answers.outstanding == 0 and link not in front._relays_busy


def test_a_closed_link_leaves_nothing_outstanding(front: Front) -> None:
    answers, link = _answers(front)
    answers.expect("POST")
    answers.received(OK_BODY[:20])
    answers.lose()
    assert answers.outstanding == 0 and link not in front._relays_busy
