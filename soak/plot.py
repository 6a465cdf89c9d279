#!/usr/bin/env python3
"""Draws DIR/soak.png from syncmap-soak's DIR/samples.csv: heap in use (and RSS) with the
thirds the heap verdict compares, versions retained by snapshots, the maps' sizes, and
throughput, against time.

Usage: plot.py DIR
Exit status 3 (with a one-line reason) if matplotlib is not available, 0 when drawn.
"""
import csv
import os
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed (Debian: python3-matplotlib)")
    sys.exit(3)

MIB = 1024.0 * 1024.0


def main():
    if len(sys.argv) != 2:
        print("usage: plot.py DIR")
        return 2
    out = sys.argv[1]
    with open(os.path.join(out, "samples.csv")) as f:
        rows = [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f)]
    if not rows:
        print("samples.csv has no samples")
        return 1
    t = [r["t_s"] for r in rows]
    end = t[-1]
    fig, axes = plt.subplots(4, 1, figsize=(10, 11), sharex=True)

    ax = axes[0]
    heap = [r["heap_bytes"] / MIB for r in rows]
    ax.plot(t, heap, color="#1f5fa8", linewidth=1.0, label="heap in use (mallinfo2 uordblks + hblkhd)")
    ax.plot(t, [r["rss_bytes"] / MIB for r in rows], color="#7f7f7f", linewidth=0.8, linestyle="--", label="RSS")
    ax.axvspan(0, end / 3, color="#bbbbbb", alpha=0.2, label="warm-up (not judged)")
    for lo, hi, colour, name in ((end / 3, 2 * end / 3, "#2ca02c", "second third"),
                                 (2 * end / 3, end, "#d62728", "last third")):
        part = [h for x, h in zip(t, heap) if lo <= x < hi or (hi == end and x == end)]
        if part:
            mean = sum(part) / len(part)
            ax.hlines(mean, lo, hi, colors=colour, linewidth=2.0, label=f"mean over the {name}: {mean:.2f} MiB")
    ax.set_ylabel("MiB")
    ax.set_ylim(0, 1.6 * max(max(heap), max(r["rss_bytes"] / MIB for r in rows)))
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    ax.set_title("heap: the verdict compares the last third's mean with the second third's", fontsize=9, loc="left")

    ax = axes[1]
    ax.plot(t, [r["versions_retained_uint64"] for r in rows], linewidth=1.0, color="#1f5fa8", label="uint64 map")
    ax.plot(t, [r["versions_retained_string"] for r in rows], linewidth=1.0, color="#ff7f0e", label="std::string map")
    ax.set_ylabel("entries in preserved copies")
    twin = ax.twinx()
    twin.plot(t, [r["live_snapshots"] for r in rows], linewidth=0.6, color="#7f7f7f", alpha=0.7, label="live snapshots")
    twin.set_ylabel("live snapshots", fontsize=8)
    ax.legend(fontsize=7, loc="upper left")
    twin.legend(fontsize=7, loc="upper right")
    ax.set_title("stats().versions_retained: what live snapshots hold (S3)", fontsize=9, loc="left")

    ax = axes[2]
    ax.plot(t, [r["size_uint64"] for r in rows], linewidth=1.0, color="#1f5fa8", label="uint64 map")
    ax.plot(t, [r["size_string"] for r in rows], linewidth=1.0, color="#ff7f0e", label="std::string map")
    clears = [x for prev, x, r in zip(rows, t[1:], rows[1:]) if r["clears"] > prev["clears"]]
    for i, x in enumerate(clears):
        ax.axvline(x, color="#d62728", linewidth=0.6, alpha=0.6, label="a clear() since the previous sample" if i == 0 else None)
    ax.set_ylabel("size()")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("size(): red lines mark clear()s; the owners refill the maps within a sample", fontsize=9, loc="left")

    ax = axes[3]
    ax.plot(t[1:], [r["writer_ops_per_s"] / 1e6 for r in rows[1:]], linewidth=1.0, color="#1f5fa8",
            label="owner operations (each checked)")
    ax.plot(t[1:], [r["reader_ops_per_s"] / 1e6 for r in rows[1:]], linewidth=1.0, color="#2ca02c",
            label="observer loads")
    ax.plot(t[1:], [r["traversal_entries_per_s"] / 1e6 for r in rows[1:]], linewidth=1.0, color="#9467bd",
            label="entries yielded by live passes")
    ax.set_ylabel("millions per second")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_xlabel("seconds")
    ax.set_title("throughput", fontsize=9, loc="left")

    fig.suptitle("syncmap-soak", fontsize=11)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "soak.png"), dpi=110)
    plt.close(fig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
