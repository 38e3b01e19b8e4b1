"""Turns what one scenario recorded into figures, verdicts and Markdown tables."""

import os
import statistics


def mib(kib):
    return None if kib is None else kib / 1024


def fmt_mib(kib):
    return "–" if kib is None else f"{kib / 1024:.1f} MiB"


def fmt_ms(ms):
    if ms is None:
        return "–"
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    if ms >= 10:
        return f"{ms:.0f} ms"
    return f"{ms:.1f} ms"


def fmt_s(seconds):
    return "–" if seconds is None else f"{seconds:.1f} s"


def verdict(ok):
    return {True: "pass", False: "**FAIL**", None: "–"}[ok]


def figures(
    plan,
    label,
    settings,
    probes,
    attack_start,
    burst_end,
    closed_at,
    ended_by,
    peak_kib,
    rss_end_kib,
    rss_after_kib,
    under_target_after_s,
    events,
    server_exit,
    server_fds,
    load,
    rss_timeline,
):
    """Everything one run measured, with the three verdicts of issue 15."""
    during = [p for p in probes if attack_start <= p[0] < burst_end]
    counted = [p for p in during if p[0] >= attack_start + plan.grace_s]
    answered = [p[1] for p in counted if p[2] == "ok"]
    lost = [p for p in counted if p[2] != "ok"]
    before = [p[1] for p in probes if p[0] < attack_start and p[2] == "ok"]
    after = [p for p in probes if p[0] >= closed_at]
    target_ms = settings["LATENCY_TARGET_S"] * 1000
    if counted:
        latency_ok = not lost and max(answered) <= target_ms
    else:
        # No probe after the grace: the server ended the attack before it was over.
        latency_ok = True if ended_by == "server closed every connection" else None
    closed = events.get("closed") or {}
    return {
        "scenario": plan.name,
        "server": label,
        "attack": plan.describe(),
        "params": plan.params,
        "hold_s": plan.hold_s,
        "grace_s": plan.grace_s,
        "after_s": plan.after_s,
        "attack_s": round(burst_end - attack_start, 2),
        "ended_by": ended_by,
        "opened_after_s": (
            round(events["opened"]["t"] - attack_start, 2) if "opened" in events else None
        ),
        "probes": len(counted),
        "probes_in_grace": len(during) - len(counted),
        "lost_in_grace": sum(1 for p in during if p not in counted and p[2] != "ok"),
        "p50_ms": statistics.median(answered) if answered else None,
        "worst_ms": max(answered) if answered else None,
        "lost": len(lost),
        "lost_why": sorted({p[2] for p in lost}),
        "quiet_p50_ms": statistics.median(before) if before else None,
        "lost_after": sum(1 for p in after if p[2] != "ok"),
        "probes_after": len(after),
        "peak_kib": peak_kib,
        "rss_end_kib": rss_end_kib,
        "rss_after_kib": rss_after_kib,
        "under_target_after_s": under_target_after_s,
        "latency_ok": latency_ok,
        "peak_ok": peak_kib <= (settings["BUDGET_MIB"] + 64) * 1024,
        "after_ok": (
            None if rss_after_kib is None else rss_after_kib < settings["AFTER_TARGET_MIB"] * 1024
        ),
        "attack_summary": closed.get("summary", {}),
        "idle_watch": events.get("idle"),
        "server_exit": server_exit,
        "server_fds_at_end": server_fds[0],
        "server_fds_after": server_fds[1],
        "probe_log": [(round(p[0] - attack_start, 3), p[1], p[2]) for p in probes],
        "load": [round(x, 2) for x in load],
        "rss_timeline": rss_timeline,
    }


def notes(result):
    """What the attacker saw, in a few words."""
    s = result["attack_summary"]
    out = []

    def closes():
        n = s.get("closed_by_server", 0)
        if not n:
            return "none closed by the server"
        after = s.get("closed_after_s")
        if after:
            return f"{n} closed by the server after {after['min']:.1f}–{after['max']:.1f} s"
        return f"{n} closed by the server"

    name = result["scenario"]
    p = result["params"]
    if name.startswith("trickle"):
        out.append(
            f"{s.get('opened', 0)}/{p['connections']} opened in {fmt_s(result['opened_after_s'])}"
        )
        out.append(closes())
    elif name in ("h1-idle", "h2-idle"):
        out.append(f"{s.get('ping_answered', 0)}/{p['connections']} pings answered")
        out.append(closes())
        watch = result["idle_watch"]
        if watch:
            out.append(
                f"watched idle h2c: {watch['still_open']}/{watch['watched']} open after {watch['after_s']:.0f} s"
                + (
                    f" (closed after {watch['closed_after_median_s']:.1f} s)"
                    if watch["closed"]
                    else ""
                )
            )
    elif name == "h2-streams":
        out.append(
            f"{s.get('streams_opened', 0)} streams, max concurrent {s.get('max_concurrent_streams')}"
        )
        if s.get("streams_refused"):
            out.append(f"{s['streams_refused']} refused")
        out.append(
            f"{s.get('streams_sent_all', 0)} sent 9 MiB ({s.get('bytes_sent', 0) / 2**30:.2f} GiB)"
        )
        if s.get("closed_by_server"):
            out.append(f"connection closed ({s.get('closed_how')})")
    elif name == "unfinished-bodies":
        out.append(f"{s.get('sent_all', 0)}/{p['connections']} sent 9 MiB")
        out.append(closes())
    elif name == "non-reader":
        out.append(f"{s.get('requests_sent', 0)}/{p['clients']} requests sent")
    elif name.startswith("batch"):
        rtt = s.get("batch_s")
        out.append(
            f"{s.get('batch_answered', 0)} batches answered"
            + (f" in {rtt['median']:.2f} s (median)" if rtt else "")
        )
        out.append(f"answers of {s.get('batch_answer_bytes', 0):,} bytes")
        if name == "batch-discover" and s.get("batch_answer"):
            out.append(f"answer: `{s['batch_answer'][:100]}`")
        failed = s.get("batch_failed", 0) + sum(
            v for k, v in s.items() if k.startswith("batch_status_")
        )
        if failed:
            out.append(f"{failed} failed")
    elif name == "big-bodies":
        rtt = s.get("echo_s")
        out.append(
            f"{s.get('echo_answered', 0)} echoes answered"
            + (f" in {rtt['median']:.2f} s (median)" if rtt else "")
        )
        failed = s.get("echo_failed", 0) + sum(
            v for k, v in s.items() if k.startswith("echo_status_")
        )
        if failed:
            out.append(f"{failed} failed")
    if s.get("connect_failed"):
        out.append(f"{s['connect_failed']} connects failed ({s.get('connect_error')})")
    if result["ended_by"] != "hold":
        out.append(f"burst ended: {result['ended_by']} at {result['attack_s']:.1f} s")
    if result["lost_in_grace"]:
        out.append(f"{result['lost_in_grace']} lost in the grace")
    if result["lost"]:
        out.append("lost: " + ", ".join(result["lost_why"]))
    if result["lost_after"]:
        out.append(f"{result['lost_after']}/{result['probes_after']} lost after the burst")
    if result["server_exit"] is not None:
        out.append(f"server exited with {result['server_exit']}")
    return "; ".join(out)


def one_line(result, settings):
    return (
        f"ping p50 {fmt_ms(result['p50_ms'])}, worst {fmt_ms(result['worst_ms'])}, "
        f"lost {result['lost']}/{result['probes']}; peak {fmt_mib(result['peak_kib'])}, "
        f"end {fmt_mib(result['rss_end_kib'])}, +{result['after_s']:.0f} s {fmt_mib(result['rss_after_kib'])}; "
        f"{notes(result)}"
    )


def preamble(settings, plans, servers):
    load = os.getloadavg()
    lines = [
        f"== hostile load: {len(plans)} scenario(s) × {len(servers)} server(s), SCALE={settings['SCALE']:g}; "
        f"load average {load[0]:.2f} on {os.cpu_count()} cores",
        f"== targets: a fresh ping within {settings['LATENCY_TARGET_S']:g} s (trickles: after the first "
        f"{settings['BODY_TIMEOUT_S'] + 1:g} s), peak RSS ≤ {settings['BUDGET_MIB'] + 64:g} MiB "
        f"(BUDGET_MIB {settings['BUDGET_MIB']:g} + 64), RSS < {settings['AFTER_TARGET_MIB']:g} MiB "
        f"{settings['AFTER_S']:g} s after the burst",
    ]
    if settings["SERVER_ARGS"]:
        lines.append(f"== server arguments: {' '.join(settings['SERVER_ARGS'])}")
    return "\n".join(lines)


def tables(results, settings, labels):
    after = f"{settings['AFTER_S']:g} s"
    peak_limit = f"{settings['BUDGET_MIB'] + 64:g} MiB"
    parts = []
    for label in labels:
        rows = [r for r in results if r["server"] == label]
        if not rows:
            continue
        parts.append(f"### Hostile load, server `{label}` (SCALE={settings['SCALE']:g})\n")
        parts.append(
            f"| scenario | attack | fresh ping p50 | worst | lost | peak RSS | RSS at end | RSS +{after} "
            f"| ping ≤ {settings['LATENCY_TARGET_S']:g} s | peak ≤ {peak_limit} "
            f"| +{after} < {settings['AFTER_TARGET_MIB']:g} MiB | notes |"
        )
        parts.append(
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- |"
        )
        for r in rows:
            parts.append(
                f"| {r['scenario']} | {r['attack']} | {fmt_ms(r['p50_ms'])} | {fmt_ms(r['worst_ms'])} "
                f"| {r['lost']}/{r['probes']} | {fmt_mib(r['peak_kib'])} | {fmt_mib(r['rss_end_kib'])} "
                f"| {fmt_mib(r['rss_after_kib'])} | {verdict(r['latency_ok'])} | {verdict(r['peak_ok'])} "
                f"| {verdict(r['after_ok'])} | {notes(r)} |"
            )
        parts.append("")
    if len(labels) > 1:
        names = []
        for r in results:
            if r["scenario"] not in names:
                names.append(r["scenario"])
        parts.append(f"### Allocators: peak RSS / RSS at end / RSS +{after}\n")
        parts.append("| scenario | " + " | ".join(labels) + " |")
        parts.append("| --- |" + " ---: |" * len(labels))
        for name in names:
            cells = []
            for label in labels:
                r = next(
                    (r for r in results if r["scenario"] == name and r["server"] == label), None
                )
                if r is None:
                    cells.append("–")
                    continue
                three = (r["peak_kib"], r["rss_end_kib"], r["rss_after_kib"])
                cells.append(" / ".join(f"{mib(kib or 0):.0f}" for kib in three) + " MiB")
            parts.append(f"| {name} | " + " | ".join(cells) + " |")
        parts.append("")
    return "\n".join(parts)
