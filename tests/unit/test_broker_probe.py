"""The broker probe: one PING per second at most, an outage logged once when it starts and ends."""

from __future__ import annotations

import logging
import socket

import pytest

from app.broker_probe import BrokerProbe, BrokerUnavailable, ping_redis


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
    caplog.set_level(logging.WARNING, logger="app.broker_probe")
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
