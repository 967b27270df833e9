import argparse
import logging
from pathlib import Path

from providers.simulator import Simulator, SimulatorState, load_accounts

# A message final for this long is forgotten: well past the dashboard's polls (a
# minute after sending), its doubt grace (2 minutes) and the callback retries (about
# 21 minutes); a million messages kept for good made the simulator 1.4 GB.
FORGET_AFTER_MINUTES = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description="smsportal gateway simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--accounts", type=Path, help="JSON list of gateway accounts")
    parser.add_argument("--sent-delay", type=float, default=1.0)
    parser.add_argument("--delivery-delay", type=float, default=3.0)
    parser.add_argument(
        "--forget-after",
        type=float,
        default=FORGET_AFTER_MINUTES,
        help="minutes after which a delivered (or otherwise final) message is "
        "forgotten, so a long-running simulator's memory stays bounded; 0 keeps all",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s simulator %(message)s")
    # httpx logs each request at INFO: a line per callback posted flooded `make run`'s
    # console once callbacks went out by the hundred (failures are logged apart).
    logging.getLogger("httpx").setLevel(logging.WARNING)

    state = SimulatorState(
        sent_delay=args.sent_delay,
        delivery_delay=args.delivery_delay,
        forget_after=args.forget_after * 60 if args.forget_after > 0 else None,
    )
    simulator = Simulator(state, host=args.host, port=args.port)
    if args.accounts and args.accounts.exists():
        count = load_accounts(state, args.accounts)
        logging.info("loaded %d accounts from %s", count, args.accounts)
    logging.info("serving /webcom /smsc /websms on %s", simulator.url)
    simulator.serve_forever()


if __name__ == "__main__":
    main()
