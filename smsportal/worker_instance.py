"""Which worker process this is: the name its heartbeat row carries
(campaigns.workers.Heartbeat sets it when the worker starts, before the pool forks).

Work a worker takes is stamped with it (a pump's lease, a contacts job's `worker`), so
whoever finds that worker's heartbeat gone can tell the work is nobody's any more
(smsportal.job_sweep). It lives here, not in campaigns, because contacts stamps its
jobs too and knows nothing of campaigns.
"""

from __future__ import annotations

# None outside a worker (web, management commands, tests).
current: str | None = None


def name() -> str:
    """This worker's instance name; "" outside a worker (nobody's to judge)."""
    return current or ""
