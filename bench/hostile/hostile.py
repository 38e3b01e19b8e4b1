"""Runs the hostile-load scenarios against fresh servers and reports what a fresh client saw.

    python3 hostile.py OUT_DIR LABEL=SERVER_BINARY [LABEL=SERVER_BINARY ...]

Started by bench/hostile.sh, which builds the servers; the settings come from the environment
(see `SETTINGS`). For each server and each scenario: a fresh server on 127.0.0.1, the prober
(prober.py, its own process) and, after a second of quiet, the attacker (attack.py, its own
process). The attack lasts its hold time, or until the server has closed all of its
connections; then its sockets are closed and the server's memory is watched for AFTER_S more.
The figures go to stdout as Markdown and to OUT_DIR/hostile-*.json.
"""

import asyncio
import json
import os
import re
import shlex
import signal
import sys
import time

import scenarios
import report

HERE = os.path.dirname(os.path.abspath(__file__))

# Every process started, so that none outlives the tool (see `main`).
CHILDREN = []


def _die_with_parent(nice=0):
    """In a child before exec: killed when this tool dies (Linux), even by SIGKILL."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if nice > 0:
        os.nice(nice)


async def spawn(*args, nice=0, **kwargs):
    process = await asyncio.create_subprocess_exec(
        *args, preexec_fn=lambda: _die_with_parent(nice), **kwargs
    )
    CHILDREN.append(process)
    return process


def _float_env(name, default):
    value = os.environ.get(name, "")
    return float(value) if value.strip() else default


def settings_from_env():
    """Every setting, from the environment, with its default."""
    scale = _float_env("SCALE", 1.0)
    full = scale >= 1
    settings = {
        # Multiplies the counts of every scenario (connections, clients, streams); below 1 the
        # hold, after and idle-check times shrink too, down to floors that keep them meaningful.
        "SCALE": scale,
        "SCENARIOS": os.environ.get("SCENARIOS", "").replace(",", " ").split(),
        "SERVER_ARGS": shlex.split(os.environ.get("SERVER_ARGS", "")),
        # The targets of issue 15.
        "BODY_TIMEOUT_S": _float_env("BODY_TIMEOUT_S", 10.0),
        "BUDGET_MIB": _float_env("BUDGET_MIB", 256.0),
        "AFTER_TARGET_MIB": _float_env("AFTER_TARGET_MIB", 64.0),
        "LATENCY_TARGET_S": _float_env("LATENCY_TARGET_S", 1.0),
        # The server's connection limit, for trickle-many (unset: 10,000 × SCALE).
        "CONN_LIMIT": int(_float_env("CONN_LIMIT", 0)) or None,
        # Times.
        "HOLD_S": _float_env("HOLD_S", None) if os.environ.get("HOLD_S") else None,
        "AFTER_S": _float_env("AFTER_S", 10.0 if full else max(3.0, 10.0 * scale)),
        "IDLE_CHECK_S": _float_env("IDLE_CHECK_S", 70.0 if full else max(5.0, 70.0 * scale)),
        "QUIET_S": _float_env("QUIET_S", 1.0),
        # The prober.
        "PROBE_INTERVAL_MS": int(_float_env("PROBE_INTERVAL_MS", 100)),
        "PROBE_TIMEOUT_S": _float_env("PROBE_TIMEOUT_S", 5.0),
        # Safety on a shared machine: the attack stops when the server's RSS passes this.
        "RSS_ABORT_MIB": _float_env("RSS_ABORT_MIB", 4096.0),
        # Niceness of the attacker (0: it competes for the CPU like the server does).
        "ATTACK_NICE": int(_float_env("ATTACK_NICE", 0)),
    }
    unknown = [n for n in settings["SCENARIOS"] if n not in scenarios.BY_NAME]
    if unknown:
        sys.exit(
            f"unknown scenario(s) {', '.join(unknown)}; expected one of: "
            + ", ".join(scenarios.BY_NAME)
        )
    return settings


# ---------------------------------------------------------------------------------------------
# The server and its memory


def read_status(pid):
    """(VmRSS, VmHWM) of `pid` in KiB, or None once it has exited."""
    try:
        with open(f"/proc/{pid}/status") as status:
            fields = dict(line.split(":", 1) for line in status if line.startswith("Vm"))
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])
    except (OSError, KeyError, ValueError):
        return None


def count_fds(pid):
    """How many files `pid` has open (its connections, mostly), or None."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


class Memory:
    """Polls the server's RSS every 100 ms; keeps every sample and the high-water mark."""

    def __init__(self, pid, abort_kib):
        self.pid = pid
        self.abort_kib = abort_kib
        self.samples = []
        self.hwm = 0
        self.over_cap = asyncio.Event()
        self.gone = asyncio.Event()

    def now(self):
        status = read_status(self.pid)
        if status is None:
            self.gone.set()
            return None
        rss, hwm = status
        self.hwm = max(self.hwm, hwm)
        self.samples.append((time.monotonic(), rss))
        if rss > self.abort_kib:
            self.over_cap.set()
        return rss

    async def run(self):
        while not self.gone.is_set():
            self.now()
            await asyncio.sleep(0.1)


async def start_server(binary, settings, log_path):
    log = open(log_path, "wb")
    process = await spawn(
        binary,
        "127.0.0.1:0",
        *settings["SERVER_ARGS"],
        stdout=asyncio.subprocess.PIPE,
        stderr=log,
        stdin=asyncio.subprocess.DEVNULL,
    )
    try:
        while True:
            line = await asyncio.wait_for(process.stdout.readline(), 10)
            if not line:
                raise RuntimeError(f"{binary} exited before listening (see {log_path})")
            log.write(line)
            found = re.search(rb"listening on http://([^/\s]+)", line)
            if found:
                break
    except BaseException:
        process.kill()
        await process.wait()
        raise

    async def drain():
        while await process.stdout.readline():
            pass

    asyncio.ensure_future(drain())
    return process, found.group(1).decode()


# ---------------------------------------------------------------------------------------------
# One scenario


async def collect_lines(stream, into, on_line=None):
    while True:
        line = await stream.readline()
        if not line:
            return
        into.append(line.decode())
        if on_line is not None:
            on_line(line.decode())


async def run_scenario(plan, label, binary, settings, out_dir):
    """Runs `plan` against a fresh `binary`; returns the figures as a dict."""
    name = plan.name
    log_path = os.path.join(out_dir, f"{label}-{name}.server.log")
    server, addr = await start_server(binary, settings, log_path)
    memory = Memory(server.pid, settings["RSS_ABORT_MIB"] * 1024)
    memory.now()
    sampling = asyncio.ensure_future(memory.run())
    load_before = os.getloadavg()[0]

    prober = await spawn(
        sys.executable,
        os.path.join(HERE, "prober.py"),
        addr,
        str(settings["PROBE_INTERVAL_MS"]),
        str(settings["PROBE_TIMEOUT_S"]),
        stdout=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )
    probe_lines = []
    probing = asyncio.ensure_future(collect_lines(prober.stdout, probe_lines))
    await asyncio.sleep(settings["QUIET_S"])

    events = {}
    event_came = asyncio.Event()

    def on_event(line):
        try:
            event = json.loads(line)
        except ValueError:
            return
        if event["ev"] == "error":
            print(f"   attacker error: {event['error']}", flush=True)
        events.setdefault(event["ev"], event)
        event_came.set()

    config = {
        "scenario": name,
        "addr": addr,
        "params": plan.params,
        "idle_check_s": plan.idle_check_s,
    }
    attacker = await spawn(
        sys.executable,
        os.path.join(HERE, "attack.py"),
        json.dumps(config),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        nice=settings["ATTACK_NICE"],
    )
    attack_lines = []
    attacking = asyncio.ensure_future(collect_lines(attacker.stdout, attack_lines, on_event))

    async def wait_event(event, timeout):
        deadline = time.monotonic() + timeout
        while event not in events and time.monotonic() < deadline:
            if attacking.done():
                break
            event_came.clear()
            try:
                await asyncio.wait_for(event_came.wait(), max(0.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                pass
        return events.get(event)

    started = await wait_event("start", 10)
    attack_start = started["t"] if started else time.monotonic()

    # The burst: until the hold time is over, the attack cannot go on, or the server is in
    # trouble.
    ended_by = "hold"
    watch = [
        asyncio.ensure_future(
            asyncio.sleep(max(0.0, attack_start + plan.hold_s - time.monotonic()))
        ),
        asyncio.ensure_future(wait_event("finished", plan.hold_s + 60)),
        asyncio.ensure_future(memory.over_cap.wait()),
        asyncio.ensure_future(memory.gone.wait()),
        attacking,
    ]
    await asyncio.wait(watch, return_when=asyncio.FIRST_COMPLETED)
    if memory.gone.is_set():
        ended_by = "server exited"
    elif memory.over_cap.is_set():
        ended_by = f"RSS over {settings['RSS_ABORT_MIB']:.0f} MiB"
    elif "finished" in events:
        ended_by = "server closed every connection"
    elif attacking.done():
        ended_by = "attacker exited"
    for future in watch[:-1]:
        future.cancel()
    rss_end = memory.now()
    burst_end = time.monotonic()
    server_fds = count_fds(server.pid)

    # Stop the attack: every socket closed.
    try:
        attacker.stdin.write(b"stop\n")
        await attacker.stdin.drain()
        attacker.stdin.close()
    except (ConnectionError, OSError):
        pass
    closed = await wait_event("closed", 60)
    closed_at = closed["t"] if closed else time.monotonic()

    # After the burst.
    await asyncio.sleep(max(0.0, closed_at + plan.after_s - time.monotonic()))
    rss_after = memory.now()
    server_fds_after = count_fds(server.pid)
    if plan.scenario.idle_check:
        await wait_event("idle", plan.idle_check_s + 60)
    try:
        await asyncio.wait_for(attacker.wait(), 30)
    except asyncio.TimeoutError:
        attacker.kill()
        await attacker.wait()
    await attacking

    prober.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(prober.wait(), settings["PROBE_TIMEOUT_S"] + 5)
    except asyncio.TimeoutError:
        prober.kill()
        await prober.wait()
    await probing

    memory.now()
    server_exit = server.returncode
    sampling.cancel()
    if server_exit is None:
        server.kill()
        await server.wait()

    probes = []
    for line in probe_lines:
        parts = line.split()
        if len(parts) == 3:
            probes.append((float(parts[0]), float(parts[1]), parts[2]))
    under = next(
        (
            t - closed_at
            for t, rss in memory.samples
            if t >= closed_at and rss < settings["AFTER_TARGET_MIB"] * 1024
        ),
        None,
    )
    return report.figures(
        plan=plan,
        label=label,
        settings=settings,
        probes=probes,
        attack_start=attack_start,
        burst_end=burst_end,
        closed_at=closed_at,
        ended_by=ended_by,
        peak_kib=memory.hwm,
        rss_end_kib=rss_end,
        rss_after_kib=rss_after,
        under_target_after_s=under,
        events=events,
        server_exit=server_exit,
        server_fds=(server_fds, server_fds_after),
        load=(load_before, os.getloadavg()[0]),
        rss_timeline=[(round(t - attack_start, 2), rss) for t, rss in memory.samples],
    )


async def main():
    # Ctrl-C or SIGTERM: stop here, and kill what was started (the `finally` of `run`).
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for stop in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop, task.cancel)
    try:
        await run()
    finally:
        for process in CHILDREN:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def run():
    out_dir = sys.argv[1]
    servers = [arg.split("=", 1) for arg in sys.argv[2:]]
    settings = settings_from_env()
    chosen = settings["SCENARIOS"] or [s.name for s in scenarios.SCENARIOS]
    plans = [scenarios.plan(scenarios.BY_NAME[name], settings) for name in chosen]
    os.makedirs(out_dir, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    print(report.preamble(settings, plans, servers), flush=True)
    results = []
    # Scenario by scenario, each server in turn: the machine's background load then weighs
    # alike on every server compared.
    for plan in plans:
        for label, binary in servers:
            print(
                f"== {plan.name} [{label}]: {plan.describe()}; hold {plan.hold_s:.0f} s",
                flush=True,
            )
            result = await run_scenario(plan, label, binary, settings, out_dir)
            print("   " + report.one_line(result, settings), flush=True)
            results.append(result)
            path = os.path.join(out_dir, f"hostile-{stamp}.json")
            with open(path, "w") as out:
                json.dump({"settings": settings, "results": results}, out, indent=1)
    print(flush=True)
    text = report.tables(results, settings, [label for label, _ in servers])
    print(text, flush=True)
    with open(os.path.join(out_dir, f"hostile-{stamp}.md"), "w") as out:
        out.write(text)
    print(f"(figures of every run: {os.path.join(out_dir, f'hostile-{stamp}.json')})")


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except asyncio.CancelledError:
        sys.exit("interrupted: every server, prober and attacker started was stopped")
