"""Loopback simulator of the Webcom, SMSC and WEBSMS gateways.

It speaks each vendor's real protocol over HTTP (bytes, encodings, error bodies), keeps
state in memory, pushes delivery reports to the URLs set in its "cabinet", and injects
faults on request. It imports nothing from Django: it plays the vendor.

    python -m providers.simulator --port 8025 [--accounts var/simulator-accounts.json]

Tests run it in a thread: `Simulator().start()`; see tests/fixtures/simulator.py.
"""

from providers.simulator.server import Simulator, load_accounts
from providers.simulator.state import Fault, SimAccount, SimulatorState
from providers.simulator.wsgi import SimRequest, SimResponse, make_app

__all__ = [
    "Fault",
    "SimAccount",
    "SimRequest",
    "SimResponse",
    "Simulator",
    "SimulatorState",
    "load_accounts",
    "make_app",
]
