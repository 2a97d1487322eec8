#!/usr/bin/env python3
"""report.py DIR: table.txt and chart.png from DIR/results.csv (bench.sh).

Prints the table too. The chart needs matplotlib (python3-matplotlib); without
it a plain chart without text is drawn by the small PNG writer below.
"""
import csv
import os
import struct
import sys
import zlib
from collections import defaultdict

MODULES = ("ours", "c")
LABEL = {"ours": "ours", "c": "C"}


def read_meta(path):
    meta = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                key, _, val = line.rstrip("\n").partition("=")
                meta[key] = val
    return meta


def num(s):
    try:
        return float(s)
    except ValueError:
        return None


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


def fmt(v, spec):
    return "?" if v is None else format(v, spec)


def mean(vals):
    vals = [v for v in vals if v is not None]
    return sum(vals) / len(vals) if vals else None


# Student's t, two-sided 95 %, by degrees of freedom (1.96 beyond 30).
T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
       2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
       2.045, 2.042]


def ratio_interval(ours, c):
    """Mean of the per-round ratios ours/C and its 95 % interval (t), with the
    number of rounds; None with fewer than 3 complete rounds."""
    r = [a / b for a, b in zip(ours, c) if a is not None and b]
    n = len(r)
    if n < 3:
        return None
    m = sum(r) / n
    sd = (sum((x - m) ** 2 for x in r) / (n - 1)) ** 0.5
    t = T95[n - 2] if n - 1 <= len(T95) else 1.96
    half = t * sd / n ** 0.5
    return m, m - half, m + half, n


def cpu_ms(row, tick_ms):
    ticks, ok = num(row["cpu_ticks"]), num(row["calls"])
    return None if ticks is None or not ok else ticks * tick_ms / ok


def per_call(row, column):
    v, ok = num(row.get(column) or ""), num(row["calls"])
    return None if v is None or not ok else v / ok


def build_table(rows, meta, tick_ms):
    by = defaultdict(dict)  # (test, round, rate) -> module -> row
    for r in rows:
        by[(r["test"], int(r["round"]), int(r["rate"]))][r["module"]] = r
    out = []
    w = 44

    def line(label, ours, c, rat=""):
        out.append(f"{label:<{w}}{ours:>10}{c:>10}{rat:>9}".rstrip())

    out.append(f"kamailio-sctp benchmark, {meta.get('date', '?')}, commit {meta.get('commit', '?')}")
    out.append(f"host: {meta.get('host_cpu', '?')}; kernel {meta.get('host_kernel', '?')}")
    out.append(f"run in: {meta.get('vm_kernel', '?')} ({meta.get('cpus', '?')} CPUs), "
               f"{meta.get('kamailio', '?')}, {meta.get('sipp', '?')}")
    out.append(f"settings: {meta.get('settings', '?')}")
    out.append("")
    line("", "ours", "C", "ours/C")

    cpu = sorted(k for k in by if k[0] == "cpu")
    if cpu:
        out.append(f"(1) CPU per call at {cpu[0][2]} calls/s, ms (all Kamailio processes)")
        per = {m: [] for m in MODULES}
        for key in cpu:
            vals = {m: cpu_ms(by[key][m], tick_ms) if m in by[key] else None for m in MODULES}
            for m in MODULES:
                per[m].append(vals[m])
            failed = {m: by[key][m]["failed"] if m in by[key] else "?" for m in MODULES}
            line(f"    round {key[1]} ({by[key].get('ours', {}).get('calls', '?')} calls, "
                 f"failed {failed['ours']}/{failed['c']})",
                 fmt(vals["ours"], ".3f"), fmt(vals["c"], ".3f"), ratio(vals["ours"], vals["c"]))
        mo, mc = mean(per["ours"]), mean(per["c"])
        line("    mean", fmt(mo, ".3f"), fmt(mc, ".3f"), ratio(mo, mc))
        ci = ratio_interval(per["ours"], per["c"])
        if ci:
            out.append(f"    per-round ratio ours/C: mean {ci[0]:.3f}, 95 % interval {ci[1]:.3f} to {ci[2]:.3f} "
                       f"({ci[3]} rounds)")
        # older results have no ctx_switches column
        sw = {m: mean([per_call(by[k][m], "ctx_switches") if m in by[k] else None for k in cpu]) for m in MODULES}
        if sw["ours"] is not None or sw["c"] is not None:
            line("    context switches per call (mean)", fmt(sw["ours"], ".1f"), fmt(sw["c"], ".1f"),
                 ratio(sw["ours"], sw["c"]))
        # older results, or runs without perf, have no recvmsg counts
        rv = {m: mean([per_call(by[k][m], "recvmsg") if m in by[k] else None for k in cpu]) for m in MODULES}
        if rv["ours"] is not None or rv["c"] is not None:
            line("    recvmsg per call (mean)", fmt(rv["ours"], ".2f"), fmt(rv["c"], ".2f"), ratio(rv["ours"], rv["c"]))

    idle = sorted(k for k in by if k[0] == "idle")
    if idle:
        secs = num(by[idle[0]].get("ours", by[idle[0]].get("c", {})).get("seconds", "") or "")
        out.append(f"(1b) idle: no traffic for {fmt(secs, '.0f')} s, CPU ticks of all Kamailio processes "
                   f"(1 tick = {tick_ms:g} ms)")
        for key in idle:
            t = {m: by[key][m]["cpu_ticks"] if m in by[key] else "?" for m in MODULES}
            x = {m: by[key][m].get("ctx_switches", "?") if m in by[key] else "?" for m in MODULES}
            line(f"    round {key[1]}: CPU ticks", t["ours"], t["c"])
            line(f"    round {key[1]}: context switches", x["ours"], x["c"])

    steps = sorted(k for k in by if k[0] == "step")
    if steps:
        out.append("(2) failed calls at stepped rates (calls/s)")
        for key in steps:
            f = {m: by[key][m]["failed"] if m in by[key] else "?" for m in MODULES}
            line(f"    {key[2]}/s, {by[key].get('ours', {}).get('calls', '?')} calls", f["ours"], f["c"])
        best, clean = {}, {}
        for m in MODULES:
            passed = [k[2] for k in steps if by[k].get(m, {}).get("failed") == "0"]
            best[m] = max(passed) if passed else None
            # The highest rate up to which every step passed.
            clean[m] = None
            for k in steps:
                if by[k].get(m, {}).get("failed") != "0":
                    break
                clean[m] = k[2]
        line("    highest rate with 0 failed calls", fmt(best["ours"], "d"), fmt(best["c"], "d"),
             ratio(best["ours"], best["c"]))
        line("    ... with 0 failed at every rate below too", fmt(clean["ours"], "d"),
             fmt(clean["c"], "d"), ratio(clean["ours"], clean["c"]))
        tot = {m: sum(int(by[k][m]["failed"]) for k in steps
                      if m in by[k] and by[k][m]["failed"].isdigit()) for m in MODULES}
        line("    failed calls, all steps", str(tot["ours"]), str(tot["c"]))

    warm = [r for r in rows if r["test"] == "warmup"]
    if warm:
        f = {m: sum(int(r["failed"]) for r in warm if r["module"] == m and r["failed"].isdigit())
             for m in MODULES}
        n = {m: sum(1 for r in warm if r["module"] == m) for m in MODULES}
        out.append(f"    (warm-up after each start, not counted: {n['ours']}/{n['c']} runs, "
                   f"failed calls {f['ours']}/{f['c']})")

    bursts = sorted(k for k in by if k[0] == "burst")
    if bursts:
        k0 = bursts[0]
        out.append(f"(3) burst: {by[k0].get('ours', {}).get('calls', '?')} calls at {k0[2]} calls/s")
        for key in bursts:
            ok = {m: by[key][m]["ok"] if m in by[key] else "?" for m in MODULES}
            q = {m: by[key][m]["sendq_full"] if m in by[key] else "?" for m in MODULES}
            line(f"    round {key[1]}: completed calls", ok["ours"], ok["c"], ratio(num(ok["ours"]), num(ok["c"])))
            line(f"    round {key[1]}: sendq_full", q["ours"], q["c"])
    return "\n".join(out) + "\n"


def series(rows, tick_ms):
    """(rate, failed) and (rate, cpu ms per call) points per module."""
    failed = {m: [] for m in MODULES}
    cpu = {m: [] for m in MODULES}
    for r in rows:
        m, rate = r["module"], int(r["rate"])
        if m not in failed:
            continue
        if r["test"] == "step" and r["failed"].isdigit():
            failed[m].append((rate, int(r["failed"])))
        if r["test"] in ("step", "cpu"):
            v = cpu_ms(r, tick_ms)
            if v is not None:
                cpu[m].append((rate, v, r["test"]))
    return failed, cpu


def chart_matplotlib(path, failed, cpu, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"ours": "tab:red", "c": "tab:blue"}
    # Distinct markers and lines: equal curves must not hide each other.
    style = {"ours": "o-", "c": "s--"}
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for m in MODULES:
        pts = sorted(failed[m])
        if pts:
            a1.plot([p[0] for p in pts], [p[1] for p in pts], style[m], color=colors[m], label=LABEL[m])
        st = sorted((p[0], p[1]) for p in cpu[m] if p[2] == "step")
        if st:
            a2.plot([p[0] for p in st], [p[1] for p in st], style[m], color=colors[m],
                    label=f"{LABEL[m]}, stepped rates")
        cp = [(p[0], p[1]) for p in cpu[m] if p[2] == "cpu"]
        if cp:
            a2.plot([p[0] for p in cp], [p[1] for p in cp], "D", color=colors[m], mfc="none",
                    ms=8, label=f"{LABEL[m]}, steady rate")
    a1.set(title="failed calls (sipp) at each offered rate", xlabel="calls/s", ylabel="failed calls")
    a2.set(title="CPU per call, all Kamailio processes", xlabel="calls/s", ylabel="ms CPU per call")
    top = max([1] + [p[1] for m in MODULES for p in failed[m]]) * 1.08
    a1.set_ylim(-top * 0.04, top)  # a zero line stays in sight, off the frame
    a2.set_ylim(bottom=0)
    for a in (a1, a2):
        a.grid(alpha=0.3)
        a.legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def chart_plain(path, failed, cpu):
    """Two panels as in chart_matplotlib, without text: red ours, blue C."""
    W, H, pw = 900, 360, 450
    img = [[(255, 255, 255)] * W for _ in range(H)]
    colors = {"ours": (210, 40, 40), "c": (40, 80, 210)}

    def plot(px0, data):
        allp = [p for m in MODULES for p in data[m]]
        if not allp:
            return
        x0, x1 = min(p[0] for p in allp), max(p[0] for p in allp)
        y1 = max(p[1] for p in allp) or 1
        x1 = x1 if x1 > x0 else x0 + 1
        L, T, R, B = px0 + 40, 20, px0 + pw - 20, H - 30

        def xy(p):
            return (int(L + (p[0] - x0) / (x1 - x0) * (R - L)), int(B - p[1] / y1 * (B - T)))

        for x in range(L, R + 1):
            img[B][x] = img[T][x] = (0, 0, 0)
        for y in range(T, B + 1):
            img[y][L] = img[y][R] = (0, 0, 0)
        for m in MODULES:
            pts = sorted(xy(p) for p in data[m])
            for (ax, ay), (bx, by) in zip(pts, pts[1:]):
                n = max(abs(bx - ax), abs(by - ay), 1)
                for i in range(n + 1):
                    img[ay + (by - ay) * i // n][ax + (bx - ax) * i // n] = colors[m]
            for (px, py) in pts:
                for dy in range(-3, 4):
                    for dx in range(-3, 4):
                        if 0 <= py + dy < H and 0 <= px + dx < W:
                            img[py + dy][px + dx] = colors[m]

    plot(0, failed)
    plot(pw, {m: [(p[0], p[1]) for p in cpu[m] if p[2] == "step"] for m in MODULES})
    raw = b"".join(b"\0" + bytes(c for px in row for c in px) for row in img)

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "results.csv")) as f:
        rows = list(csv.DictReader(f))
    meta = read_meta(os.path.join(d, "meta-host.txt"))
    meta.update(read_meta(os.path.join(d, "meta-vm.txt")))
    tick_ms = 1000.0 / float(meta.get("clk_tck") or 100)
    table = build_table(rows, meta, tick_ms)
    with open(os.path.join(d, "table.txt"), "w") as f:
        f.write(table)
    print(table, end="")
    failed, cpu = series(rows, tick_ms)
    png = os.path.join(d, "chart.png")
    title = f"kamailio-sctp: ours vs C module, {meta.get('date', '?')}, {meta.get('host_cpu', '?')}, test VM"
    try:
        chart_matplotlib(png, failed, cpu, title)
    except ImportError:
        print("report: matplotlib missing, plain chart (red: ours, blue: C; no text)")
        chart_plain(png, failed, cpu)
    print(f"report: {png}", flush=True)


if __name__ == "__main__":
    main()
