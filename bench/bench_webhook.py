"""Status callbacks, one report per request, against gunicorn with 2 workers.

    python bench/bench_webhook.py [--messages N] [--requests N] [--concurrency N]
                                  [--format xml|json] [--workers N] [--threads N]
                                  [--per-connection N]

Seeds its own database (smsportal_bench_webhook) with N queued messages of one Webcom
account, starts `gunicorn smsportal.wsgi -w 2` on a free loopback port with production
settings (DEBUG off, own SECRET_KEY and field key, HTTPS redirect behind a proxy that
sets X-Forwarded-Proto), and pushes one Webcom status callback per request, each for a
different message, built by the simulator's own webhook code
(providers.simulator.webcom.build_status_callback). Afterwards it counts in SQL that
every pushed message really moved to `delivered`.
Goal (issue 6): >= 1,500 requests/s.

The load comes from a separate process, but on a small machine it still competes with
gunicorn and PostgreSQL for the same cores. So the client is as cheap as it can be: one
epoll loop over non-blocking sockets (no asyncio, no HTTP library), every request's
bytes built before the clock starts, HTTP/1.1 with keep-alive whenever the server
offers it (gunicorn's default sync workers close after each response, so then it
reconnects, as a gateway or a proxy in front of gunicorn would). The CPU time the
client, the gunicorn processes and the PostgreSQL backends spent is printed per
request, so a figure taken on a busy machine can still be judged.

The workers are gthread workers with 8 threads each, as README.md recommends for the
web process: they keep connections alive, and the reports that arrive while one
database statement runs go in together with the next (campaigns.status_batching).
`--threads 0` runs gunicorn's default sync workers instead, which serve one request at
a time, close each connection and write each report alone, for comparison.
"""

import argparse
import multiprocessing
import os
import queue
import secrets
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchdb import ROOT, free_port, setup

TOKEN = "bench-webhook-" + "x" * 26  # the account's callback token (URL secret)
FIRST_ID = 700_000_000  # Webcom ids are numbers; ours start here
GOAL = 1_500


def production_env() -> dict[str, str]:
    """Settings as a production web process has them (see README, .env.example)."""
    from cryptography.fernet import Fernet

    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SMSPORTAL_FIELD_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
        # Behind a TLS-terminating proxy: the client sends X-Forwarded-Proto: https.
        "USE_X_FORWARDED_PROTO": "true",
        "SECURE_SSL_REDIRECT": "true",
        "LOG_LEVEL": "INFO",
    }


def seed(count: int):
    from django.db import connection

    from campaigns.models import Campaign
    from providers.models import ProviderAccount

    with connection.cursor() as cursor:
        # Accounts too: their credentials were encrypted with an earlier run's key.
        cursor.execute("TRUNCATE campaigns_message, campaigns_campaignstatuscount, "
                       "campaigns_campaignoperatorcount, campaigns_campaignfailurecount, "
                       "campaigns_campaigndeliverycount, "
                       "campaigns_orphanstatusreport, campaigns_campaign, "
                       "providers_provideraccount CASCADE")  # fmt: skip
    account = ProviderAccount.objects.create(
        name="Bench webhook",
        kind="webcom",
        dialect="xml",
        base_url="http://127.0.0.1:9/webcom",
        login="bench",
        password="bench-password",  # encrypted with this run's field key
        callback_token=TOKEN,
    )
    campaign = Campaign.objects.create(name="Webhook", account=account, text="x",
                                       state=Campaign.State.SENDING)  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO campaigns_message (campaign_id, account_id, phone, text, sender,
                channel, segments, encoding, gateway_message_id, status, reason,
                vendor_code, vendor_text, operator, planned_at, submitted_at, attempts)
            SELECT %s, %s, '+7917' || lpad(g::text, 7, '0'), 'x', 'S', 'sms', 1, 'gsm7',
                   (%s + g)::text, 'queued', '', '', '', '', now(), now(), 1
            FROM generate_series(1, %s) g
            """,
            [campaign.pk, account.pk, FIRST_ID, count],
        )
        cursor.execute("ANALYZE campaigns_message")
    return account, campaign


def callback_requests(port: int, ids: range, dialect: str) -> list[bytes]:
    """Whole HTTP requests, one status callback each, as the simulator pushes them."""
    from providers.simulator.state import DELIVERED, SimAccount, SimMessage
    from providers.simulator.webcom import build_status_callback

    url_path = f"/callbacks/{TOKEN}/status/"
    sim_account = SimAccount("webcom", "bench", status_callback_url=url_path)
    now = time.time()
    requests = []
    for n in ids:
        message = SimMessage(
            id=str(FIRST_ID + n), gateway="webcom", login="bench", phone="79170000000",
            text="x", sender="S", state=DELIVERED, changed_at=now,
            extra={"dialect": dialect},
        )  # fmt: skip
        path, body, content_type = build_status_callback(message, sim_account)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            "X-Forwarded-Proto: https\r\nUser-Agent: bench-webhook\r\n\r\n"
        )
        requests.append(head.encode() + body)
    return requests


# The load generator: runs in its own process ---------------------------------------


class _Slot:
    """One concurrent client connection and the request it is waiting on."""

    __slots__ = (
        "sock", "request", "started", "buffer", "need", "status", "keep", "served"
    )  # fmt: skip

    def __init__(self) -> None:
        self.sock: socket.socket | None = None
        self.request = b""
        self.started = 0.0
        self.buffer = bytearray()
        self.need = -1  # bytes of the whole response, once the head is in
        self.status = 0
        self.keep = False
        self.served = 0  # requests answered on this connection


def _response_head(slot: _Slot) -> None:
    """Fill in status, length and keep-alive once the head is complete."""
    end = slot.buffer.find(b"\r\n\r\n")
    if end < 0:
        return
    head = bytes(slot.buffer[:end]).lower()
    slot.status = int(head[9:12])
    length = 0
    at = head.find(b"\r\ncontent-length:")
    if at >= 0:
        stop = head.find(b"\r\n", at + 2)
        length = int(head[at + 17 : stop if stop >= 0 else len(head)])
    slot.need = end + 4 + length
    slot.keep = b"\r\nconnection: close" not in head


def load(port: int, requests: list[bytes], concurrency: int, per_connection: int):
    """Send every request over `concurrency` connections; one request each at a time.

    A plain epoll loop over non-blocking sockets: a fraction of the CPU an asyncio or
    httpx client needs per request, which matters when client and server share cores.
    A kept-alive connection is closed after `per_connection` requests, as a proxy's
    keepalive_requests does: a connection stays with the worker that accepted it, and
    connections opened all at once can land mostly on one worker, which then serves
    them on one core while the other idles (seen: 36 to 4, half the rate). New
    connections go to whichever worker accepts first, the less busy one.
    """
    address = ("127.0.0.1", port)
    selector = selectors.DefaultSelector()
    pending = iter(requests)
    latencies: list[float] = []
    failures: list[str] = []
    active = 0

    def connect(slot: _Slot) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        sock.connect_ex(address)
        slot.sock = sock
        selector.register(sock, selectors.EVENT_WRITE, slot)

    def drop(slot: _Slot) -> None:
        selector.unregister(slot.sock)
        slot.sock.close()
        slot.sock = None
        slot.served = 0

    def next_request(slot: _Slot) -> bool:
        """Send the next request on this slot (reconnecting if needed); False: done."""
        request = next(pending, None)
        if request is None:
            if slot.sock is not None:
                drop(slot)
            return False
        slot.request, slot.buffer, slot.need = request, bytearray(), -1
        if slot.sock is not None and slot.served >= per_connection:
            drop(slot)
        slot.started = time.perf_counter()
        if slot.sock is not None:
            try:
                slot.sock.send(request)
                return True
            except OSError:  # the server dropped the idle connection: a new one
                drop(slot)
        connect(slot)  # sends once writable
        return True

    slots = [_Slot() for _ in range(concurrency)]
    started = time.perf_counter()
    for slot in slots:
        active += next_request(slot)
    while active:
        for key, events in selector.select():
            slot = key.data
            try:
                if events & selectors.EVENT_WRITE:  # connected: send the request
                    slot.sock.send(slot.request)
                    selector.modify(slot.sock, selectors.EVENT_READ, slot)
                    continue
                chunk = slot.sock.recv(65536)
            except OSError as exc:
                chunk, error = b"", exc
            else:
                error = None
            if chunk:
                slot.buffer += chunk
                if slot.need < 0:
                    _response_head(slot)
                if slot.need < 0 or len(slot.buffer) < slot.need:
                    continue
                latencies.append(time.perf_counter() - slot.started)
                slot.served += 1
                if not 200 <= slot.status < 300:
                    failures.append(f"HTTP {slot.status}")
                if not slot.keep:
                    drop(slot)
            else:  # closed or broken before a whole response
                failures.append(f"connection: {error or 'closed early'}")
                drop(slot)
            if not next_request(slot):
                active -= 1
    selector.close()
    return time.perf_counter() - started, latencies, failures


def load_process(port, requests, concurrency, per_connection, results) -> None:
    """Entry point of the client process: send everything, report timings."""
    before = os.times()
    elapsed, latencies, failures = load(port, requests, concurrency, per_connection)
    after = os.times()
    cpu = (after.user - before.user) + (after.system - before.system)
    results.put((elapsed, latencies, failures, cpu))


def run_load(port: int, requests: list[bytes], concurrency: int, per_connection: int):
    context = multiprocessing.get_context("spawn")  # no Django, no inherited sockets
    results = context.Queue()
    process = context.Process(
        target=load_process,
        args=(port, requests, concurrency, per_connection, results),
    )
    process.start()
    try:
        while True:
            try:
                return results.get(timeout=1)
            except queue.Empty:
                if not process.is_alive():
                    raise RuntimeError("the load process died") from None
    finally:
        process.join(timeout=30)


# gunicorn ---------------------------------------------------------------------------


def gunicorn_start(port: int, workers: int, threads: int, log) -> subprocess.Popen:
    command = [str(Path(sys.executable).parent / "gunicorn"), "smsportal.wsgi",
               "-w", str(workers), "-b", f"127.0.0.1:{port}"]  # fmt: skip
    if threads:
        command += ["-k", "gthread", "--threads", str(threads)]
    # Production settings refuse the public development key (smsportal.wsgi).
    env = {"SECRET_KEY": secrets.token_urlsafe(40), **os.environ}
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def gunicorn_wait(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    """Until a worker answers a request (an unknown token: a plain 404)."""
    probe = (f"GET /callbacks/not-a-token/status/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
             "X-Forwarded-Proto: https\r\nConnection: close\r\n\r\n").encode()  # fmt: skip
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited at start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
                conn.sendall(probe)
                if conn.recv(64).startswith(b"HTTP/1.1 404"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer")


def gunicorn_stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # graceful: workers finish their request
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# CPU accounting (Linux /proc; None where it cannot be read) -------------------------


def cpu_seconds(pids: list[int]) -> float | None:
    """User + system CPU time of these processes so far."""
    total = 0.0
    try:
        for pid in pids:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    return total


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return found


def server_pids(server: subprocess.Popen) -> tuple[list[int], list[int]]:
    """(gunicorn master and workers, PostgreSQL backends serving the bench database)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        backends = [row[0] for row in cursor.fetchall()]
    connection.close()
    return [server.pid, *children(server.pid)], backends


def per_request_ms(before: float | None, after: float | None, count: int) -> str:
    if before is None or after is None:
        return "n/a"
    return f"{(after - before) / count * 1000:.2f} ms"


# The benchmark ----------------------------------------------------------------------


def delivered_count(account_id: int, ids: range) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM campaigns_message WHERE account_id = %s "
            "AND status = 'delivered' AND gateway_message_id <> '' "
            "AND gateway_message_id::bigint BETWEEN %s AND %s",
            [account_id, FIRST_ID + ids.start, FIRST_ID + ids.stop - 1],
        )
        return cursor.fetchone()[0]


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[
        min(len(sorted_values) - 1, int(fraction * len(sorted_values)))
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--threads",
        type=int,
        default=8,
        help="threads of each gthread worker; 0: gunicorn's sync workers",
    )
    parser.add_argument(
        "--per-connection",
        type=int,
        default=100,
        help="requests on a kept-alive connection before the client opens a new one",
    )
    parser.add_argument("--format", choices=["xml", "json"], default="xml")
    args = parser.parse_args()
    if args.requests + args.warmup > args.messages:
        sys.exit("--messages must cover --requests plus --warmup")
    for name, value in production_env().items():
        os.environ.setdefault(name, value)
    setup("smsportal_bench_webhook")
    from django.db import connection

    account, _campaign = seed(args.messages)
    connection.close()  # the server's workers do the work from here
    port = free_port()
    warmup_ids = range(args.requests + 1, args.requests + args.warmup + 1)
    measured_ids = range(1, args.requests + 1)
    warmup = callback_requests(port, warmup_ids, args.format)
    measured = callback_requests(port, measured_ids, args.format)

    with tempfile.TemporaryFile() as log:
        server = gunicorn_start(port, args.workers, args.threads, log)
        try:
            gunicorn_wait(port, server)
            # Both workers import views and open their database connection first.
            run_load(port, warmup, min(args.concurrency, len(warmup)),
                     args.per_connection)  # fmt: skip
            web_pids, db_pids = server_pids(server)
            web_before, db_before = cpu_seconds(web_pids), cpu_seconds(db_pids)
            elapsed, latencies, failures, client_cpu = run_load(
                port, measured, args.concurrency, args.per_connection
            )
            web_after, db_after = cpu_seconds(web_pids), cpu_seconds(db_pids)
        finally:
            gunicorn_stop(server)
        if failures or server.returncode not in (0, None):
            log.seek(0)
            print(log.read().decode(errors="replace")[-4000:], file=sys.stderr)

    rate = len(latencies) / elapsed
    kind = f" -k gthread --threads {args.threads}" if args.threads else ""
    latencies.sort()
    moved = delivered_count(account.pk, measured_ids)
    print(f"{len(measured):,} {args.format.upper()} status callbacks, concurrency "
          f"{args.concurrency}, gunicorn -w {args.workers}{kind}: {elapsed:.2f} s, "
          f"{rate:,.0f} requests/s, p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
          f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms; non-2xx or failed: "
          f"{len(failures)}")  # fmt: skip
    if failures:
        print(f"first failures: {failures[:5]}")
    count = len(measured)
    print(f"CPU per request: gunicorn {per_request_ms(web_before, web_after, count)}, "
          f"PostgreSQL backends {per_request_ms(db_before, db_after, count)}, "
          f"client {client_cpu / count * 1000:.2f} ms; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
    print(f"messages moved to delivered (SQL): {moved:,} of {len(measured):,}")
    met = rate >= GOAL and not failures and moved == len(measured)
    print(f"goal >= {GOAL:,} req/s: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
