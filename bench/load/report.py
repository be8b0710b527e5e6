"""The figures of a run, printed, with the verdicts on the targets of issue 8."""

from __future__ import annotations

from bench.load.measure import Stats, percentiles
from bench.load.workload import KINDS

TARGET_P95_MS = 150
TARGET_AREA_RATIO = 0.35


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def cost(stats: Stats) -> str:
    n = max(stats.count(), 1)
    return (
        f"  CPU: server (gunicorn) {stats.server_cpu / n * 1e3:.2f} ms a request, "
        f"{stats.server_cpu / stats.elapsed:.0%} of one core; client "
        f"{stats.client_cpu / n * 1e3:.2f} ms a request, "
        f"{stats.client_cpu / stats.elapsed:.0%} of one core; machine "
        f"{stats.machine_busy:.0%} busy\n"
        f"  gunicorn: {stats.restarts} worker restarts (max_requests); "
        f"{stats.reconnects} idle connections closed and opened again"
        + (f"; kept-alive connections per worker: {stats.spread}" if stats.spread else "")
    )


def row(label: str, values: list[float], rate: float, errors: int, server: list[float]) -> str:
    p50, p95, p99 = percentiles(values)
    s50, s95, _ = percentiles(server) if server else (float("nan"),) * 3
    return (
        f"  {label:<10} {len(values):>7} {rate:>7.1f} {p50:>7.1f} {p95:>7.1f} {p99:>7.1f}"
        f" {max(values, default=0):>7.1f} {errors:>6} {s50:>9.1f} {s95:>9.1f}"
    )


def report(results: dict[str, Stats], server: dict, booted: int, restarted: int, args) -> None:
    floor, page, area, mix = (results[name] for name in ("floor", "page", "area", "mix"))
    think = f"exponential, mean {args.think:g} ms" if args.think else "none"
    print(f"\n{args.users} users; think time in the mix: {think}. Milliseconds as the users saw")
    print("them, and the app's own time (its log, without gunicorn's queue) as server p50/p95.")
    header = (
        f"  {'kind':<10} {'count':>7} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7}"
        f" {'max':>7} {'errors':>6} {'server50':>9} {'server95':>9}"
    )
    for number, (name, stats, title) in enumerate(
        (
            ("floor", floor, "floor: GET /healthz, no cookies"),
            ("page", page, "signed-in floor: GET /jobs/ (the user, one query, a small page)"),
            ("area", area, "area pages only"),
        ),
        start=1,
    ):
        print(f"\nPhase {number}, {title}, {stats.elapsed:.1f} s:\n{cost(stats)}")
        print(header)
        for kind, values in stats.times.items():
            print(row(kind, values, stats.rate(kind), stats.errors[kind], server[name][kind]))
    ratio = area.rate() / floor.rate()
    by_cpu = (floor.server_cpu / floor.count()) / (area.server_cpu / area.count())
    print(
        f"  area pages / floor: {ratio:.2f}x in requests/s; {by_cpu:.2f}x in gunicorn's CPU per"
        " request (about the ratio on cores left to the server alone)"
    )
    signed_in = area.rate() / page.rate()
    print(
        f"  area pages / signed-in floor: {signed_in:.2f}x; signed-in floor / floor:"
        f" {page.rate() / floor.rate():.2f}x (what any signed-in page can reach)"
    )

    print(f"\nPhase 4, the mix, {mix.elapsed:.1f} s:\n{cost(mix)}")
    print(header)
    for kind in KINDS:
        if mix.times[kind]:
            values = mix.times[kind]
            print(row(kind, values, mix.rate(kind), mix.errors[kind], server["mix"][kind]))
    everything = [t for values in server["mix"].values() for t in values]
    print(row("all", mix.everything(), mix.rate(), sum(mix.errors.values()), everything))
    print("  autosaves: " + ", ".join(f"{k} {v}" for k, v in sorted(mix.outcomes.items())))
    print(f"  gunicorn: {booted} workers booted in the whole run, {restarted} of them restarts")
    errors = sum(s for stats in results.values() for s in stats.errors.values())
    for stats in results.values():
        for sample in stats.error_samples:
            print(f"  error: {sample}")

    p95 = percentiles(mix.everything())[1]
    print("\nTargets (issue 8):")
    print(f"  errors: {errors} (target 0): {verdict(errors == 0)}")
    print(
        f"  p95 of the mix: {p95:.1f} ms (target <= {TARGET_P95_MS} ms):"
        f" {verdict(p95 <= TARGET_P95_MS)}"
    )
    print(
        f"  area pages: {area.rate():.1f} req/s = {ratio:.2f}x the floor's {floor.rate():.1f}"
        f" (target >= {TARGET_AREA_RATIO}x): {verdict(ratio >= TARGET_AREA_RATIO)}"
    )
