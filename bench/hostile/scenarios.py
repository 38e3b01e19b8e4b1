"""The scenarios of issue 15 ("Hardening under hostile load"), and how SCALE sizes them.

Each scenario is what an attacker does; `attack.py` carries it out and `hostile.py` measures the
server meanwhile. Counts (connections, streams, clients) scale with SCALE; sizes that exist to
meet a limit (a 9 MiB body under the 10 MiB one, 9,999 calls under the 10,000 batch limit) do
not, since a smaller one would be a different attack.
"""

from dataclasses import dataclass, field

MIB = 1024 * 1024

# 9 MiB: under the default 10 MiB body and response limits, so that the server takes it.
NEARLY_FULL = 9 * MIB


@dataclass(frozen=True)
class Scenario:
    name: str
    # What the attacker does, in a phrase, with `{count}`-style fields from `counts` and `sizes`.
    summary: str
    # Scaled by SCALE (each at least 1).
    counts: dict
    # Not scaled.
    sizes: dict = field(default_factory=dict)
    # How long the attack lasts at full scale, in seconds (it may end sooner: see attack.py).
    hold_s: float = 20
    # Trickling connections hold the server until its body timeout: fresh clients may be lost
    # during the first BODY_TIMEOUT_S + 1 s of the attack.
    trickle: bool = False
    # Whether a group of idle HTTP/2 connections is watched for IDLE_CHECK_S.
    idle_check: bool = False


SCENARIOS = [
    Scenario(
        "trickle",
        "{connections} × POST with Content-Length {content_length}, then 1 byte/s",
        counts={"connections": 500},
        sizes={"content_length": 1_000_000},
        hold_s=40,
        trickle=True,
    ),
    Scenario(
        "trickle-many",
        "{connections} × the same trickle (the connection limit)",
        # CONN_LIMIT, when set, replaces this count unscaled (see `plan`).
        counts={"connections": 10_000},
        sizes={"content_length": 1_000_000},
        hold_s=30,
        trickle=True,
    ),
    Scenario(
        "h2-idle",
        "{connections} × h2c, one ping each, then idle; {idle_connections} more watched",
        counts={"connections": 10_000},
        sizes={"idle_connections": 20},
        hold_s=20,
        idle_check=True,
    ),
    Scenario(
        "h1-idle",
        "{connections} × HTTP/1.1 keep-alive, one ping each, then idle",
        counts={"connections": 10_000},
        hold_s=20,
    ),
    Scenario(
        "h2-streams",
        "1 h2c connection, {streams} streams × 9 MiB of a {content_length}-byte body",
        counts={"streams": 250},
        sizes={"content_length": 10_000_000, "sent": NEARLY_FULL},
        hold_s=20,
    ),
    Scenario(
        "unfinished-bodies",
        "{connections} × 9 MiB of a {content_length}-byte body",
        counts={"connections": 200},
        sizes={"content_length": 10_000_000, "sent": NEARLY_FULL},
        hold_s=20,
    ),
    Scenario(
        "non-reader",
        "{clients} × `echo` of a 9 MiB string, answer never read",
        counts={"clients": 100},
        sizes={"body": NEARLY_FULL},
        hold_s=20,
    ),
    Scenario(
        "batch-heavy",
        "{clients} × batches of 20 KiB (a {sleep_ms} ms `sleep`, then pings), in a loop",
        counts={"clients": 1_000},
        sizes={"batch": 20 * 1024, "sleep_ms": 2_000},
        hold_s=20,
    ),
    Scenario(
        "batch-discover",
        "1 client, batches of {calls} `rpc.discover` + 1 `sleep` ({sleep_ms} ms), in a loop",
        counts={},
        sizes={"calls": 9_999, "sleep_ms": 2_000},
        hold_s=15,
    ),
    Scenario(
        "big-bodies",
        "{clients} × `echo` of a 9 MiB array of zeros, in a loop",
        counts={"clients": 8},
        sizes={"body": NEARLY_FULL},
        hold_s=20,
    ),
]

BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


@dataclass
class Plan:
    """A scenario sized for one run."""

    scenario: Scenario
    params: dict
    hold_s: float
    after_s: float
    idle_check_s: float
    grace_s: float

    @property
    def name(self):
        return self.scenario.name

    def describe(self):
        return self.scenario.summary.format(**self.params)


def plan(scenario, settings):
    """Sizes `scenario` for `settings` (the dict `hostile.py` reads from the environment)."""
    scale = settings["SCALE"]
    params = dict(scenario.sizes)
    for key, count in scenario.counts.items():
        params[key] = max(1, round(count * scale))
    if scenario.name == "trickle-many" and settings["CONN_LIMIT"] is not None:
        # Exactly the server's limit, whatever the scale (for a server run with a lower one).
        params["connections"] = settings["CONN_LIMIT"]
    body_timeout = settings["BODY_TIMEOUT_S"]
    if settings["HOLD_S"] is not None:
        hold = settings["HOLD_S"]
    elif scenario.trickle:
        # Long enough to see trickling connections outlive (or not) one body timeout.
        hold = max(body_timeout + 3, scenario.hold_s * scale)
    else:
        hold = max(4, scenario.hold_s * scale)
    return Plan(
        scenario=scenario,
        params=params,
        hold_s=hold,
        after_s=settings["AFTER_S"],
        idle_check_s=settings["IDLE_CHECK_S"],
        grace_s=body_timeout + 1 if scenario.trickle else 0,
    )
