"""Collects the figures scripts/bench wrote into results.json and draws two SVG plots."""
import json
import pathlib
import sys

out = pathlib.Path(sys.argv[1])
criterion = pathlib.Path("target/criterion")


def estimate(name):
    path = criterion / name / "new" / "estimates.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())["median"]["point_estimate"] / 1000.0  # ns -> µs


results = {
    "render_diff_us": {
        name: estimate(name)
        for name in [
            "counter increment",
            "1000-row table, one row changed",
            "1000-row table, one row removed",
            "1000-row table, every row replaced",
            "search, 20 results changed",
        ]
    },
    "wire": json.loads((out / "wire.json").read_text()),
    "js_client": json.loads((out / "js-size.json").read_text()),
    "tcp_floor": json.loads((out / "floor.json").read_text()),
    "roundtrip": json.loads((out / "roundtrip.json").read_text()),
    "tcp_floor_one_core": json.loads((out / "floor-pinned.json").read_text()),
    "roundtrip_one_core": json.loads((out / "roundtrip-pinned.json").read_text()),
    "tcp_ceiling_busy": json.loads((out / "floor-busy.json").read_text()),
    "busy": [json.loads(l) for l in (out / "busy.jsonl").read_text().splitlines() if l],
    "idle": [json.loads(l) for l in (out / "idle.jsonl").read_text().splitlines() if l],
    "chat_fanout": [json.loads(l) for l in (out / "fanout.jsonl").read_text().splitlines() if l],
    "search_bytes": json.loads((out / "search-bytes.json").read_text()),
}
(out / "results.json").write_text(json.dumps(results, indent=2) + "\n")


def plot(path, title, xlabel, ylabel, series):
    """A small dependency-free SVG line chart; x is log-scaled."""
    import math

    w, h, m = 560, 320, 60
    xs = [x for _, pts in series for x, _ in pts]
    ys = [y for _, pts in series for _, y in pts]
    if not xs:
        return
    lx0, lx1 = math.log10(min(xs)), math.log10(max(xs)) or 1
    y1 = max(ys) * 1.1 or 1
    sx = lambda x: m + (math.log10(x) - lx0) / ((lx1 - lx0) or 1) * (w - 2 * m)
    sy = lambda y: h - m + -(y / y1) * (h - 2 * m)
    colors = ["#e8590c", "#1864ab", "#2b8a3e"]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
        f'<rect width="{w}" height="{h}" fill="white"/>',
        f'<text x="{w/2}" y="20" text-anchor="middle" font-size="14">{title}</text>',
        f'<line x1="{m}" y1="{h-m}" x2="{w-m}" y2="{h-m}" stroke="black"/>',
        f'<line x1="{m}" y1="{m}" x2="{m}" y2="{h-m}" stroke="black"/>',
        f'<text x="{w/2}" y="{h-15}" text-anchor="middle">{xlabel}</text>',
        f'<text x="15" y="{h/2}" transform="rotate(-90 15 {h/2})" text-anchor="middle">{ylabel}</text>',
        f'<text x="{m-5}" y="{m+4}" text-anchor="end">{y1:.0f}</text>',
        f'<text x="{m-5}" y="{h-m+4}" text-anchor="end">0</text>',
    ]
    for i, (label, pts) in enumerate(series):
        c = colors[i % len(colors)]
        d = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        parts.append(f'<polyline points="{d}" fill="none" stroke="{c}" stroke-width="2"/>')
        for x, y in pts:
            parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{c}"/>')
            parts.append(f'<text x="{sx(x):.1f}" y="{h-m+16}" text-anchor="middle">{x}</text>')
        parts.append(f'<text x="{w-m}" y="{m+16*i}" text-anchor="end" fill="{c}">{label}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n")


busy = results["busy"]
plot(out / "latency.svg", "Event round trip vs busy connections", "busy connections", "µs",
     [("median", [(b["connections"], b["latency"]["median_us"]) for b in busy]),
      ("p99", [(b["connections"], b["latency"]["p99_us"]) for b in busy])])
idle = results["idle"]
plot(out / "memory.svg", "Server memory per idle connected view", "connected views", "KiB per view",
     [("RSS per view", [(i["connections"], i["kib_per_view"]) for i in idle])])
print(json.dumps(results, indent=2))
