"""The simulator moves only the messages that can still move.

advance() runs on every status request and every 0.2 s for the callbacks, under the
state's lock. It walked every message ever taken: in a campaign to 900,000 through
the simulator, sends, status polls (100 ids timed out) and callbacks crawled from
about 300,000 messages on.
"""

from dataclasses import dataclass

from providers.simulator.state import DELIVERED, READ, SimMessage, SimulatorState


@dataclass
class WatchedMessage(SimMessage):
    """Counts how often its state is read, once `watched` is set."""

    def __getattribute__(self, name):
        if name == "state" and object.__getattribute__(self, "__dict__").get("watched"):
            self.__dict__["reads"] = self.__dict__.get("reads", 0) + 1
        return object.__getattribute__(self, name)


def submitted(state: SimulatorState, count: int, channel: str = "sms") -> list:
    return [
        state.submit(
            WatchedMessage(
                state.next_id(),
                "webcom",
                "shop",
                f"7916{i:07d}",
                "Hi",
                "SHOP",
                channel=channel,
            )
        )  # fmt: skip
        for i in range(count)
    ]


def reads(messages) -> int:
    return sum(m.__dict__.get("reads", 0) for m in messages)


def watch(messages) -> None:
    for m in messages:
        m.__dict__["watched"] = True


def test_messages_delivered_are_not_looked_at_again():
    now = [1000.0]
    state = SimulatorState(sent_delay=1, delivery_delay=1, clock=lambda: now[0])
    messages = submitted(state, 500)
    now[0] += 5
    state.advance()
    assert {m.state for m in messages} == {DELIVERED}
    watch(messages)

    state.advance()
    state.get("webcom", messages[0].id)

    assert reads(messages) == 0  # nothing left to move: nothing walked


def test_a_viber_message_delivered_is_still_read_later():
    now = [1000.0]
    state = SimulatorState(sent_delay=1, delivery_delay=1, clock=lambda: now[0])
    [message] = submitted(state, 1, channel="viber")
    now[0] += 2.5
    state.advance()
    assert message.state == DELIVERED
    now[0] += 5
    state.advance()
    assert message.state == READ
    watch([message])
    state.advance()
    assert reads([message]) == 0


def test_reset_forgets_the_messages_to_move():
    now = [1000.0]
    state = SimulatorState(sent_delay=1, delivery_delay=1, clock=lambda: now[0])
    messages = submitted(state, 10)
    state.reset()
    watch(messages)
    now[0] += 5
    state.advance()
    assert reads(messages) == 0
