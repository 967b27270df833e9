"""In-memory state of the simulated gateways: accounts, messages, faults, callbacks.

Framework-free (no Django): the simulator is "the vendor" and runs as its own process.
Statuses move along a generic lifecycle; each protocol module words them its own way:

    accepted -> sent -> delivered [-> read (Viber)]
                     -> undelivered | expired
    accepted (scheduled) -> cancelled

Outcome rules by the recipient's last digits, so tests and demos can pick a fate:
    ...9990 undelivered, ...9991 expired, ...9999 refused at submit (invalid number).
"""

from __future__ import annotations

import copy
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

ACCEPTED, SENT, DELIVERED, READ = "accepted", "sent", "delivered", "read"
UNDELIVERED, EXPIRED, CANCELLED = "undelivered", "expired", "cancelled"
FINAL_STATES = frozenset({DELIVERED, READ, UNDELIVERED, EXPIRED, CANCELLED})
VIBER_CHANNELS = frozenset({"viber", "viber_sms"})  # a delivered one may be read

FAULT_MODES = frozenset(
    {
        "http500",  # 500 with an HTML page, request not processed
        "http502",
        "http503",
        "timeout_before",  # hang, then 503: not processed
        "timeout_after",  # process, then hang: the client sees a timeout
        "drop_before",  # close the connection without an answer, not processed
        "drop_after",  # process, then close without an answer
        "malformed",  # process, answer a truncated body
        "refuse",  # refuse every recipient of the next send (per-recipient error)
    }
)


@dataclass
class Fault:
    mode: str
    count: int = 1  # how many requests it hits; -1 means until cleared
    path: str = ""  # only requests whose path contains this
    delay: float = 3.0  # seconds to hang for the timeout modes
    # Matching requests let through before it hits (a gateway failing part way
    # through a run of requests: the third withdrawal, not the first).
    after: int = 0


PRICE_PER_PART = Decimal("3.50")  # every simulated gateway's tariff


@dataclass
class SimAccount:
    gateway: str
    login: str
    password: str = ""
    token: str = ""
    balance: Decimal = Decimal("1000.00")
    currency: str = "RUB"
    price_per_part: Decimal = PRICE_PER_PART
    status_callback_url: str = ""
    incoming_callback_url: str = ""
    blocked: bool = False
    senders: dict[str, str] = field(default_factory=lambda: {"SMSPORTAL": "active"})
    stop_list: set[str] = field(default_factory=set)
    phone_book: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    # Assumption (SMSC): callbacks come in the account's charset, windows-1251 unless
    # the cabinet says otherwise, like every answer of that gateway.
    charset: str = "cp1251"
    # The secret SMSC's cabinet signs callbacks with ("" = none set: no md5 is sent).
    callback_secret: str = ""
    # The time zone of the cabinet's settings, hours east of UTC (WEBSMS reads a
    # send_on without `gmt`, or with gmt=0, in it): Moscow today.
    utc_offset_hours: int = 3

    @classmethod
    def from_row(cls, row: dict) -> SimAccount:
        """An account from the control API's or an accounts file's JSON."""
        return cls(
            gateway=row["gateway"],
            login=row.get("login", ""),
            password=row.get("password", ""),
            token=row.get("token", ""),
            balance=Decimal(str(row.get("balance", "1000.00"))),
            status_callback_url=row.get("status_callback_url", ""),
            incoming_callback_url=row.get("incoming_callback_url", ""),
            charset=row.get("charset", "cp1251"),
            callback_secret=row.get("callback_secret", ""),
            utc_offset_hours=int(row.get("utc_offset_hours", 3)),
        )


# Slotted: a simulator holds a message, and a submission, per recipient taken; a
# __dict__ each made a 900,000-message campaign's simulator 1.4 GB.
@dataclass(slots=True)
class SimMessage:
    id: str
    gateway: str
    login: str
    phone: str  # digits only
    text: str
    sender: str
    channel: str = "sms"
    reference: str = ""  # the client's id, where the protocol carries one
    packet: str = ""  # the request/packet id, where the protocol has one
    parts: int = 1
    cost: Decimal = Decimal("0")
    created_at: float = 0.0
    send_at: float | None = None
    state: str = ACCEPTED
    changed_at: float = 0.0
    error: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class SimIncoming:
    id: str
    gateway: str
    login: str
    phone: str
    text: str
    to: str
    received_at: float
    prefix: str = ""  # Webcom: the keyword routing it on a shared number


@dataclass(slots=True)
class Submission:
    """One recipient handed to a gateway: tests count these to prove exactly-once."""

    gateway: str
    login: str
    phone: str
    reference: str
    text: str
    at: float
    # What else the request said of it (the protocol's own field names), for tests
    # of what reached the gateway: Viber parts, voice settings, cascade flags.
    channel: str = "sms"
    sender: str = ""
    extra: dict[str, str] = field(default_factory=dict)


CallbackBuilder = Callable[
    ["SimMessage", "SimAccount"], "tuple[str, bytes, str] | None"
]
# A gateway whose webhook carries several reports (Webcom's <response> of <state>
# lines) builds its callbacks from all of an account's messages at once.
CallbackBatcher = Callable[
    [list["SimMessage"], "SimAccount"], "list[tuple[str, bytes, str]]"
]

# What of a callback is to be posted again, from its body and the receiver's answer
# (HTTP status, None without one; body): None when acknowledged.
CallbackChecker = Callable[[bytes, "int | None", bytes], "bytes | None"]

# Messages whose callbacks one collection builds: the rest wait for the next, so a
# slow receiver leaves owed messages in a set (one entry a message), not bodies piling
# up by the hundred thousand.
CALLBACKS_PER_COLLECTION = 20_000
# The callbacks posted that are remembered (tests read them); the older are dropped,
# as a big campaign's would fill the memory.
CALLBACKS_KEPT = 5_000
# With a memory window (forget_after), the submissions and requests remembered: the
# latest, for a look at what came in; tests' simulators keep them all.
SUBMISSIONS_KEPT = 10_000
REQUESTS_KEPT = 10_000


class SimulatorState:
    """Everything the simulated gateways remember; thread-safe."""

    def __init__(
        self,
        *,
        sent_delay: float = 0.5,
        delivery_delay: float = 1.5,
        clock: Callable[[], float] = time.time,
        forget_after: float | None = None,
    ) -> None:
        """`forget_after`: seconds after which a message in a final state is
        forgotten (its id then answered as unknown, as for any id the gateway does
        not hold), and the submissions and request log kept only in part; None keeps
        everything (tests read it all). The command-line server sets it: a million
        messages kept for good made it 1.4 GB."""
        self.lock = threading.RLock()
        self.clock = clock
        self._own_clock = clock  # reset() undoes pass_time()
        self.sent_delay = sent_delay
        self.delivery_delay = delivery_delay
        self.accounts: dict[tuple[str, str], SimAccount] = {}
        self.messages: dict[str, dict[str, SimMessage]] = {}
        self.by_reference: dict[tuple[str, str, str], SimMessage] = {}
        self.forget_after = forget_after
        bounded = forget_after is not None
        self.submissions: list[Submission] | deque[Submission] = (
            deque(maxlen=SUBMISSIONS_KEPT) if bounded else []
        )
        self.incoming: list[SimIncoming] = []
        self.faults: dict[str, list[Fault]] = {}
        # gateway, path, time
        self.request_log: list[tuple[str, str, float]] | deque = (
            deque(maxlen=REQUESTS_KEPT) if bounded else []
        )
        self.callback_builders: dict[str, CallbackBuilder] = {}
        self.callback_batchers: dict[str, CallbackBatcher] = {}
        self.callback_checkers: dict[str, CallbackChecker] = {}
        # url, body, status of the latest callbacks posted
        self.callbacks_sent: deque[tuple[str, str, int | None]] = deque(
            maxlen=CALLBACKS_KEPT
        )
        self.captured: list = []  # requests posted to /_control/capture
        self._pending_callbacks: set[tuple[str, str]] = set()
        # The messages advance() may still move: walking every message ever taken
        # made each request and the callback dispatcher (every 0.2 s) cost O(all),
        # under the lock; at 300,000 messages sends, polls and callbacks crawled.
        self._open: dict[tuple[str, str], SimMessage] = {}
        # With a memory window: the keys advance() settled, a list per pass with the
        # pass's time, oldest first; forget_old() drops them once out of the window
        # (one append a pass, nothing a message, on the send path).
        self._settled: deque[tuple[float, list[tuple[str, str]]]] = deque()
        # Called with the time by forget_old(): a protocol's own memory of requests.
        self.sweepers: list[Callable[[float], None]] = []
        # Bumped by reset(): callbacks collected before it are not posted after it.
        self.generation = 0
        self._ids = itertools.count(int(clock()) % 1_000_000 * 1000 + 1)

    def pass_time(self, seconds: float) -> None:
        """Move the gateways' clock on, as if `seconds` had passed there (tests: a
        gateway's per-minute limits, without waiting the minute)."""
        earlier = self.clock
        self.clock = lambda: earlier() + seconds

    # accounts -----------------------------------------------------------------

    def add_account(self, account: SimAccount) -> SimAccount:
        with self.lock:
            self.accounts[(account.gateway, account.login)] = account
        return account

    def authenticate(
        self, gateway: str, *, login: str = "", password: str = "", token: str = ""
    ) -> SimAccount | None:
        """The account these credentials open, or None."""
        with self.lock:
            if token:
                for account in self.accounts.values():
                    if account.gateway == gateway and account.token == token:
                        return account
                return None
            account = self.accounts.get((gateway, login))
            if account and account.password and account.password == password:
                return account
            return None

    # messages -----------------------------------------------------------------

    def next_id(self) -> str:
        return str(next(self._ids))

    def find_by_reference(
        self, gateway: str, login: str, reference: str
    ) -> SimMessage | None:
        with self.lock:
            return self.by_reference.get((gateway, login, reference))

    def submit(self, message: SimMessage, *, charge: bool = True) -> SimMessage:
        """Record an accepted message (and charge the account)."""
        with self.lock:
            now = self.clock()
            message.created_at = message.changed_at = now
            self.messages.setdefault(message.gateway, {})[message.id] = message
            self._open[(message.gateway, message.id)] = message
            if message.reference:
                key = (message.gateway, message.login, message.reference)
                self.by_reference[key] = message
            self.submissions.append(
                Submission(message.gateway, message.login, message.phone,
                           message.reference, message.text, now, message.channel,
                           message.sender, dict(message.extra))
            )  # fmt: skip
            account = self.accounts.get((message.gateway, message.login))
            if charge and account is not None:
                account.balance -= message.cost
        return message

    def get(self, gateway: str, message_id: str) -> SimMessage | None:
        with self.lock:
            self.advance()
            return self.messages.get(gateway, {}).get(message_id)

    def cancel(self, gateway: str, message_id: str) -> bool:
        """Withdraw a scheduled message that has not gone out yet."""
        with self.lock:
            message = self.messages.get(gateway, {}).get(message_id)
            if message is None or message.state != ACCEPTED:
                return False
            if message.send_at is None or message.send_at <= self.clock():
                return False
            self._move(message, CANCELLED)
            account = self.accounts.get((gateway, message.login))
            if account is not None:
                account.balance += message.cost
            return True

    def advance(self) -> None:
        """Move messages along their lifecycle as time passes."""
        now = self.clock()
        with self.lock:
            # One pass, no copy of the dict and one test a message: the pass runs
            # every 0.2 s over every message still open (a whole campaign's, when
            # the delays are long), and a copy and two calls a message made the
            # simulator half as fast again (bench_dispatch's bare loop).
            settled = []
            for key, message in self._open.items():
                self._progress(message, now)
                state = message.state
                # DELIVERED is final for SMS only: a Viber message may be read.
                if state in FINAL_STATES and (
                    state != DELIVERED or message.channel not in VIBER_CHANNELS
                ):
                    settled.append(key)
            for key in settled:
                del self._open[key]
            if settled and self.forget_after is not None:
                self._settled.append((now, settled))

    def forget_old(self) -> int:
        """Forget the messages final for longer than `forget_after` (none without
        it); how many. The callback dispatcher calls it, off the send path.

        Assumption: no gateway's document says how long it keeps a message's status
        or a client id (Webcom's client_id_sms, SMSC's id, WEBSMS's packet_id); the
        window is the simulator's choice (the command line's --forget-after), longer
        than the dashboard's poll delay and doubt grace (minutes). A forgotten id is
        then answered as one never sent: Webcom leaves it out of state.php (GET: an
        empty body), SMSC answers status -3 "not found", WEBSMS an empty packet.
        """
        if self.forget_after is None:
            return 0
        forgotten = 0
        with self.lock:
            now = self.clock()
            cutoff = now - self.forget_after
            owed: list[tuple[str, str]] = []
            while self._settled and self._settled[0][0] <= cutoff:
                _at, keys = self._settled.popleft()
                for key in keys:
                    if key in self._pending_callbacks:
                        owed.append(key)  # its report is not built yet: later
                        continue
                    gateway, message_id = key
                    message = self.messages.get(gateway, {}).pop(message_id, None)
                    if message is None:
                        continue
                    forgotten += 1
                    if message.reference:
                        ref = (gateway, message.login, message.reference)
                        # SMSC's id names a packet: the key holds one of its messages.
                        if self.by_reference.get(ref) is message:
                            del self.by_reference[ref]
            if owed:
                self._settled.append((now, owed))
            for sweep in self.sweepers:
                sweep(now)
        return forgotten

    def _progress(self, message: SimMessage, now: float) -> None:
        start = message.send_at if message.send_at else message.created_at
        if message.state == ACCEPTED and now >= start + self.sent_delay:
            self._move(message, SENT)
        if (
            message.state == SENT
            and now >= start + self.sent_delay + self.delivery_delay
        ):
            self._move(message, self.outcome_for(message))
        if (
            message.state == DELIVERED
            and message.channel in VIBER_CHANNELS
            and now >= start + self.sent_delay + 2 * self.delivery_delay
        ):
            self._move(message, READ)

    @staticmethod
    def outcome_for(message: SimMessage) -> str:
        if message.phone.endswith("9990"):
            return UNDELIVERED
        if message.phone.endswith("9991"):
            return EXPIRED
        return DELIVERED

    @staticmethod
    def refused_at_submit(phone: str) -> bool:
        return phone.endswith("9999")

    def _move(self, message: SimMessage, state: str) -> None:
        message.state = state
        message.changed_at = self.clock()
        if message.gateway in self.callback_builders:
            self._pending_callbacks.add((message.gateway, message.id))

    # incoming -----------------------------------------------------------------

    def add_incoming(
        self,
        gateway: str,
        login: str,
        *,
        phone: str,
        text: str,
        to: str = "",
        prefix: str = "",
    ) -> SimIncoming:
        with self.lock:
            item = SimIncoming(
                self.next_id(), gateway, login, phone, text, to, self.clock(), prefix
            )
            self.incoming.append(item)
            return item

    # faults -------------------------------------------------------------------

    def add_fault(self, gateway: str, fault: Fault) -> None:
        if fault.mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {fault.mode!r}")
        with self.lock:
            self.faults.setdefault(gateway, []).append(fault)

    def take_fault(self, gateway: str, path: str) -> Fault | None:
        """The fault that hits this request, if any (consuming one of its count)."""
        with self.lock:
            for fault in self.faults.get(gateway, []):
                if fault.path and fault.path not in path:
                    continue
                if fault.after > 0:
                    fault.after -= 1
                    continue
                if fault.count > 0:
                    fault.count -= 1
                    if fault.count == 0:
                        self.faults[gateway].remove(fault)
                return fault
            return None

    def clear_faults(self, gateway: str = "") -> int:
        """Drop the faults still armed (of one gateway, or all); how many."""
        with self.lock:
            gateways = [gateway] if gateway else list(self.faults)
            return sum(len(self.faults.pop(name, [])) for name in gateways)

    def armed_faults(self) -> list[dict]:
        """The faults still armed, as the control API lists them."""
        with self.lock:
            return [
                {"gateway": gateway, **vars(fault)}
                for gateway, faults in sorted(self.faults.items())
                for fault in faults
            ]

    # callbacks ----------------------------------------------------------------

    def due_callbacks(self) -> tuple[int, list[tuple[str, bytes, str, str]]]:
        """(url, body, content type, gateway) of the callbacks owed since the last
        call (for at most CALLBACKS_PER_COLLECTION messages), with the generation
        they belong to (see reset)."""
        self.advance()
        with self.lock:
            generation = self.generation
            pending = self._pending_callbacks
            if len(pending) <= CALLBACKS_PER_COLLECTION:
                taken, self._pending_callbacks = pending, set()
            else:
                taken = [pending.pop() for _ in range(CALLBACKS_PER_COLLECTION)]
            # A copy of each message as it is now, so the bodies are built outside
            # the lock (sends wait for it) from a state and time that belong together.
            owed: dict[tuple[str, str], tuple[SimAccount, list[SimMessage]]] = {}
            for gateway, message_id in taken:
                message = self.messages.get(gateway, {}).get(message_id)
                if message is None:
                    continue
                key = (gateway, message.login)
                if key not in owed:
                    account = self.accounts.get(key)
                    if account is None or not account.status_callback_url:
                        continue
                    owed[key] = (copy.copy(account), [])
                owed[key][1].append(copy.copy(message))
        due = []
        for (gateway, _login), (account, messages) in owed.items():
            batcher = self.callback_batchers.get(gateway)
            if batcher is not None:
                due.extend((*b, gateway) for b in batcher(messages, account))
                continue
            build = self.callback_builders[gateway]
            due.extend(
                (*b, gateway) for m in messages if (b := build(m, account)) is not None
            )
        return generation, due

    def reset(self) -> None:
        """Forget messages, submissions, faults and incoming; keep accounts."""
        with self.lock:
            self.clock = self._own_clock
            self.messages.clear()
            self.by_reference.clear()
            self.submissions.clear()
            self.incoming.clear()
            self.faults.clear()
            self.request_log.clear()
            self.callbacks_sent.clear()
            self.captured.clear()
            self._pending_callbacks.clear()
            self._open.clear()
            self._settled.clear()
            self.generation += 1
