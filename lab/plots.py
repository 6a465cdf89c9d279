#!/usr/bin/env python3
"""Draws the syncmap-lab report's figures from DIR/results.json into DIR/*.png.

Usage: plots.py DIR
Exit status 3 (with a one-line reason) if matplotlib is not available, so that the lab
can say the plots were skipped; 0 when every figure was written.
"""
import json
import os
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed (Debian: python3-matplotlib)")
    sys.exit(3)


def runs_of(data, scenario):
    return [r for r in data["runs"] if r["scenario"] == scenario and r["supported"]]


def clause_table(data, out):
    clauses = data["clauses"]
    names = [c["name"] + ("" if c["origin"] == "syncmap" else " (peer)") for c in data["containers"]]
    cells, colours = [], []
    for c in data["containers"]:
        row, tint = [], []
        for k in clauses:
            cell = c["cells"][k]
            row.append(cell["text"].replace(" not promised", "\nnot promised").replace(" +", "\n+"))
            tally = cell.get("tally")
            if cell["promise"] == "not supported" or tally is None:
                tint.append("#e0e0e0")
            elif tally["violations"] > 0:
                tint.append("#f4a6a6" if cell["promise"] == "promised" else "#f8d7a8")
            elif tally["unknown"] > 0:
                tint.append("#fff3b0")
            else:
                tint.append("#bfe6bf" if cell["promise"] == "promised" else "#dcefdc")
        cells.append(row)
        colours.append(tint)
    fig, ax = plt.subplots(figsize=(2.0 + 1.9 * len(clauses), 0.6 + 0.62 * len(names)))
    ax.axis("off")
    table = ax.table(cellText=cells, cellColours=colours, rowLabels=names, colLabels=clauses, loc="center",
                     cellLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.scale(1, 2.2)
    ax.set_title("violations / checks per clause (green: none; red: promised clause violated; "
                 "orange: not promised, violated; grey: not supported or not run)", fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "clauses.png"), dpi=130)
    plt.close(fig)


def rank_correlation(data, out):
    runs = runs_of(data, "two-ranges")
    by_container = {}
    for r in runs:
        for c in r["curves"]:
            by_container.setdefault(r["container"], []).extend(c["y"])
    fig, ax = plt.subplots(figsize=(8, 4.5))
    if by_container:
        labels = list(by_container)
        ax.boxplot([by_container[k] for k in labels], labels=labels, vert=True, showfliers=True)
        for i, k in enumerate(labels, start=1):
            ax.annotate(f"n={len(by_container[k])}", (i, -1.05), ha="center", fontsize=7)
    ax.set_ylim(-1.1, 1.05)
    ax.set_ylabel("Spearman rank correlation")
    ax.set_title("order agreement of two overlapping traversals (two-ranges)")
    plt.setp(ax.get_xticklabels(), rotation=20, ha="right", fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "rank_correlation.png"), dpi=130)
    plt.close(fig)


def retired_memory(data, out):
    runs = [r for r in runs_of(data, "retired-memory") if r["curves"]]
    fig, axes = plt.subplots(max(1, len(runs)), 1, figsize=(9, 1.2 + 2.0 * max(1, len(runs))), squeeze=False)
    for ax, r in zip(axes[:, 0], runs):
        m = dict(r["metrics"])
        for c in r["curves"]:
            ax.plot(c["x"], c["y"], linewidth=1.0, color="#1f5fa8")
        if "range start s" in m:
            ax.axvspan(m["range start s"], m["range end s"], color="#d62728", alpha=0.15, label="long range")
        if "control start s" in m:
            ax.axvspan(m["control start s"], m["control end s"], color="#7f7f7f", alpha=0.15,
                       label="control: same busy-wait, no range")
        if "chunked start s" in m:
            ax.axvspan(m["chunked start s"], m["chunked end s"], color="#2ca02c", alpha=0.15,
                       label="chunked scans: same work between calls")
        ax.set_ylabel("MiB")
        ax.set_title(r["container"], fontsize=9, loc="left")
        ax.legend(fontsize=7, loc="upper right")
    axes[-1, 0].set_xlabel("seconds")
    fig.suptitle("memory retired but not yet freed, under overwrite churn: long range, control, chunked scans "
                 "(retired-memory)", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "retired_memory.png"), dpi=130)
    plt.close(fig)


def snapshot_memory(data, out):
    runs = [r for r in runs_of(data, "snapshot-memory") if r["curves"]]
    fig, axes = plt.subplots(max(1, len(runs)), 1, figsize=(9, 1.2 + 2.2 * max(1, len(runs))), squeeze=False)
    for ax, r in zip(axes[:, 0], runs):
        m = r["metrics"]
        retained = [c for c in r["curves"] if c["name"].startswith("retained")]
        pending = [c for c in r["curves"] if c["name"].startswith("retired")]
        for c in retained:
            ax.plot(c["x"], c["y"], linewidth=1.0, color="#1f5fa8", label="retained by the snapshot")
            ax.set_ylabel(c["y_label"].split(" (")[0], fontsize=7)
        if "snapshot taken s" in m:
            ax.axvspan(m["snapshot taken s"], m["snapshot released s"], color="#d62728", alpha=0.12,
                       label="snapshot alive")
        if pending:
            twin = ax.twinx()
            for c in pending:
                twin.plot(c["x"], c["y"], linewidth=0.8, color="#ff7f0e", alpha=0.8, label="retired, not yet freed")
            twin.set_ylabel("MiB", fontsize=7)
            twin.legend(fontsize=7, loc="upper left")
        ax.set_title(r["container"], fontsize=9, loc="left")
        ax.legend(fontsize=7, loc="upper right")
    axes[-1, 0].set_xlabel("seconds")
    fig.suptitle("what one live snapshot retains under overwrite churn, and its release (snapshot-memory)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "snapshot_memory.png"), dpi=130)
    plt.close(fig)


def per_threads_bars(data, out, scenario, metric, ylabel, title, filename, log=False):
    runs = runs_of(data, scenario)
    containers = sorted({r["container"] for r in runs}, key=[c["name"] for c in data["containers"]].index)
    threads = sorted({r["threads"] for r in runs})
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / max(1, len(threads))
    for j, t in enumerate(threads):
        xs, ys = [], []
        for i, c in enumerate(containers):
            vals = [m for r in runs if r["container"] == c and r["threads"] == t
                    for m in [r["metrics"].get(metric)] if m is not None]
            if vals:
                xs.append(i + j * width)
                ys.append(sum(vals) / len(vals))
        ax.bar(xs, ys, width=width, label=f"{t} writer{'s' if t > 1 else ''}")
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(containers))])
    ax.set_xticklabels(containers, rotation=20, ha="right", fontsize=8)
    if log:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if threads:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, filename), dpi=130)
    plt.close(fig)


def main():
    if len(sys.argv) != 2:
        print("usage: plots.py DIR")
        return 2
    out = sys.argv[1]
    with open(os.path.join(out, "results.json")) as f:
        data = json.load(f)
    clause_table(data, out)
    rank_correlation(data, out)
    retired_memory(data, out)
    snapshot_memory(data, out)
    per_threads_bars(data, out, "store-during-range", "stored during range and seen %", "% seen",
                     "keys stored during a range that the range yielded (store-during-range)", "stored_seen.png")
    per_threads_bars(data, out, "store-during-range", "write p99 us", "p99 write latency (us, log)",
                     "writer latency while ranges run (store-during-range)", "writer_latency.png", log=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
