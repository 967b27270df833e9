"""smsc protocol of the simulator (being built: see the Gateways issue)."""

from providers.simulator.state import SimulatorState
from providers.simulator.wsgi import SimRequest, SimResponse


def handle(request: SimRequest, state: SimulatorState) -> SimResponse:
    return SimResponse.text("not implemented", status=501)
