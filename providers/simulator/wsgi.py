"""Request/response types and the WSGI app that routes to each gateway's protocol."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from importlib import import_module
from urllib.parse import parse_qsl

from providers.simulator.state import Fault, SimAccount, SimulatorState

GATEWAYS = ("webcom", "smsc", "websms")

HTML_500 = (
    b"<html><head><title>500 Internal Server Error</title></head><body>"
    b"<h1>Internal Server Error</h1><p>nginx</p></body></html>"
)


@dataclass
class SimRequest:
    method: str
    path: str  # below the gateway prefix, e.g. "/sys/send.php"
    query_string: str
    body: bytes
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def query(self, encoding: str = "utf-8") -> dict[str, str]:
        return dict(
            parse_qsl(self.query_string, keep_blank_values=True, encoding=encoding)
        )

    def form(self, encoding: str = "utf-8") -> dict[str, str]:
        """Form fields from the body (urlencoded), decoded with `encoding`."""
        text = self.body.decode("latin-1")
        return dict(parse_qsl(text, keep_blank_values=True, encoding=encoding))

    def params(self, encoding: str = "utf-8") -> dict[str, str]:
        """Query string and urlencoded body together (body wins)."""
        merged = self.query(encoding)
        if (
            self.body
            and "json" not in self.content_type
            and not self.body.lstrip().startswith(b"<")
        ):
            merged.update(self.form(encoding))
        return merged


@dataclass
class SimResponse:
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    status: int = 200

    @classmethod
    def text(
        cls, text: str, *, encoding: str = "utf-8", status: int = 200
    ) -> SimResponse:
        return cls(text.encode(encoding), f"text/plain; charset={encoding}", status)

    @classmethod
    def xml(
        cls, text: str, *, encoding: str = "utf-8", status: int = 200
    ) -> SimResponse:
        return cls(text.encode(encoding), f"text/xml; charset={encoding}", status)

    @classmethod
    def json(
        cls,
        data: object,
        *,
        status: int = 200,
        content_type: str = "application/json; charset=utf-8",
    ) -> SimResponse:
        body = json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")
        return cls(body, content_type, status)


Handler = Callable[[SimRequest, SimulatorState], SimResponse]


class DropConnection(Exception):
    """Close the socket without answering (raised by the app, caught by the server)."""


def _protocol(gateway: str) -> Handler:
    return import_module(f"providers.simulator.{gateway}").handle


def make_app(state: SimulatorState) -> Callable:
    """The simulator as a WSGI app serving /webcom, /smsc, /websms and /_control."""
    for gateway in GATEWAYS:
        module = import_module(f"providers.simulator.{gateway}")
        if hasattr(module, "build_status_callback"):
            state.callback_builders[gateway] = module.build_status_callback
        if hasattr(module, "build_status_callbacks"):
            state.callback_batchers[gateway] = module.build_status_callbacks
        if hasattr(module, "callback_unacknowledged"):
            state.callback_checkers[gateway] = module.callback_unacknowledged
        sweep = getattr(module, "forget_requests", None)
        if sweep and state.forget_after is not None and sweep not in state.sweepers:
            state.sweepers.append(sweep)

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        prefix, _, rest = path.lstrip("/").partition("/")
        request = SimRequest(
            method=environ["REQUEST_METHOD"],
            path="/" + rest,
            query_string=environ.get("QUERY_STRING", ""),
            body=body,
            content_type=environ.get("CONTENT_TYPE", ""),
            headers={
                k[5:].replace("_", "-").title(): v
                for k, v in environ.items()
                if k.startswith("HTTP_")
            },
        )
        if prefix == "_control":
            response = control(request, state)
        elif prefix in GATEWAYS:
            response = _serve_gateway(prefix, request, state)
        else:
            response = SimResponse.text("not found", status=404)
        start_response(
            f"{response.status} {'OK' if response.status < 400 else 'Error'}",
            [
                ("Content-Type", response.content_type),
                ("Content-Length", str(len(response.body))),
            ],
        )
        return [response.body]

    return app


def _serve_gateway(
    gateway: str, request: SimRequest, state: SimulatorState
) -> SimResponse:
    with state.lock:
        state.request_log.append((gateway, request.path, state.clock()))
    fault = state.take_fault(gateway, request.path)
    if fault is not None and fault.mode != "refuse":
        before = _fault_before(fault)
        if before is not None:
            return before
    if fault is not None and fault.mode == "refuse":
        request.headers["X-Sim-Refuse"] = "1"
    response = _protocol(gateway)(request, state)
    if fault is not None:
        return _fault_after(fault, response)
    return response


def _fault_before(fault: Fault) -> SimResponse | None:
    if fault.mode == "http500":
        return SimResponse(HTML_500, "text/html", 500)
    if fault.mode == "http502":
        return SimResponse(
            b"<html><body>502 Bad Gateway</body></html>", "text/html", 502
        )
    if fault.mode in ("http503", "timeout_before"):
        if fault.mode == "timeout_before":
            time.sleep(fault.delay)
        return SimResponse(b"Service Unavailable", "text/plain", 503)
    if fault.mode == "drop_before":
        raise DropConnection
    return None


def _fault_after(fault: Fault, response: SimResponse) -> SimResponse:
    if fault.mode == "timeout_after":
        time.sleep(fault.delay)
        return response
    if fault.mode == "drop_after":
        raise DropConnection
    if fault.mode == "malformed":
        return SimResponse(
            response.body[: max(1, len(response.body) // 2)],
            response.content_type,
            response.status,
        )
    return response


# Control API: what a gateway's cabinet and a test harness would do. ----------------


def control(request: SimRequest, state: SimulatorState) -> SimResponse:
    action = request.path.strip("/")
    # Captured callbacks carry the vendor's body (XML, form...), not control JSON.
    is_json = request.method == "POST" and action != "capture"
    data = json.loads(request.body or b"{}") if is_json else {}
    if action == "accounts" and request.method == "POST":
        account = SimAccount.from_row(data)
        state.add_account(account)
        return SimResponse.json({"ok": True})
    if action == "fault" and request.method == "POST":
        try:
            state.add_fault(
                data["gateway"],
                Fault(
                    mode=data["mode"],
                    count=int(data.get("count", 1)),
                    path=data.get("path", ""),
                    delay=float(data.get("delay", 3.0)),
                    after=int(data.get("after", 0)),
                ),
            )
        except (KeyError, ValueError) as exc:  # a harness's typo: say which
            return SimResponse.json({"ok": False, "error": repr(exc)}, status=400)
        return SimResponse.json({"ok": True})
    if action == "fault" and request.method == "GET":
        return SimResponse.json(state.armed_faults())
    if action == "fault" and request.method == "DELETE":
        # A fault armed "until cleared" (count -1), or one never hit, goes without a
        # reset that would also forget the messages, accounts and callbacks.
        gateway = dict(parse_qsl(request.query_string)).get("gateway", "")
        return SimResponse.json({"ok": True, "cleared": state.clear_faults(gateway)})
    if action == "incoming" and request.method == "POST":
        item = state.add_incoming(
            data["gateway"],
            data["login"],
            phone=data["phone"],
            text=data["text"],
            to=data.get("to", ""),
        )
        return SimResponse.json({"ok": True, "id": item.id})
    if action == "submissions":
        with state.lock:
            rows = [asdict(s) for s in state.submissions]
        return SimResponse.json(rows)
    if action == "reset" and request.method == "POST":
        state.reset()
        return SimResponse.json({"ok": True})
    if action == "capture":
        # A stand-in callback receiver: tests point accounts here to read callbacks.
        with state.lock:
            state.captured.append(request)
        return SimResponse.text("OK")
    if action == "health":
        return SimResponse.json({"ok": True})
    return SimResponse.text("unknown control action", status=404)
