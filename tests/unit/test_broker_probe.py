"""The broker probe: one PING per second at most, an outage logged once when it starts and ends."""

from __future__ import annotations

import logging
import socket

import pytest

from confusionflow.app.broker_probe import BrokerProbe, BrokerUnavailable, ping_redis


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_probe_answers_are_reused_and_an_outage_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    clock = _Clock()
    answers = iter([True, False, False, False, True])
    pings: list[str] = []

    def ping(url: str) -> bool:
        pings.append(url)
        return next(answers)

    probe = BrokerProbe("redis://127.0.0.1:1/0", ping=ping, clock=clock, reuse_seconds=1.0)
    caplog.set_level(logging.WARNING, logger="confusionflow.app.broker_probe")
    assert probe.reachable() and probe.down_seconds() is None
    for _ in range(50):  # a burst within one second costs no further PING
        assert probe.reachable()
    assert len(pings) == 1

    clock.now += 1.5
    with pytest.raises(BrokerUnavailable):
        probe.require()
    for _ in range(2):
        clock.now += 1.5
        for _ in range(100):
            assert not probe.reachable()
    assert len(pings) == 4
    assert probe.down_seconds() == pytest.approx(3.0)
    clock.now += 1.5
    assert probe.reachable() and probe.down_seconds() is None

    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2, messages
    assert "unreachable" in messages[0]
    assert "reachable again after 4 s" in messages[1]


def test_a_closed_port_is_reported_unreachable_within_the_timeout() -> None:
    with socket.socket() as s:  # a port nobody listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        assert ping_redis(f"redis://127.0.0.1:{port}/0", timeout=0.5) is False


def test_a_silent_server_is_reported_unreachable_after_the_read_timeout() -> None:
    with socket.socket() as s:  # accepts connections (the backlog) but never answers
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        assert ping_redis(f"redis://127.0.0.1:{port}/0", timeout=0.3) is False


def test_the_job_manager_asks_the_probe_before_sending_or_polling_a_job() -> None:
    from confusionflow.app.background import GuardedCeleryManager, celery_app_for
    from confusionflow.app.callbacks.imports import _refuse_when_queue_down
    from confusionflow.app.importing import QUEUE_DOWN, QUEUE_LOST

    pings: list[str] = []

    def down(url: str) -> bool:
        pings.append(url)
        return False

    url = "redis://127.0.0.1:1/0"  # never dialled: the probe answers first
    manager = GuardedCeleryManager(celery_app_for(url), BrokerProbe(url, ping=down))

    def job_fn(*_: object) -> None:
        raise AssertionError("a job was sent to a broker that does not answer")

    with pytest.raises(BrokerUnavailable) as sent:
        manager.call_job_fn("key", job_fn, [], {})
    with pytest.raises(BrokerUnavailable) as polled:
        manager.get_progress("key")
    with pytest.raises(BrokerUnavailable):
        manager.get_result("key", "job-id")
    assert pings == [url]  # one probe answered all three within a second
    assert not sent.value.running and polled.value.running
    assert _refuse_when_queue_down(sent.value)["status"] == QUEUE_DOWN
    assert _refuse_when_queue_down(polled.value)["status"] == QUEUE_LOST
    with pytest.raises(ValueError, match="other"):
        _refuse_when_queue_down(ValueError("other"))
