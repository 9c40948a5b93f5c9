#!/usr/bin/python3
"""Prints bench/e2e/run.sh's results as one table with the ratios, then the goals.

Usage: report.py <results.tsv>   (columns: shape rows case wall_s cpu_s peak_rss_kb)
"""
import csv
import sys


def main():
    with open(sys.argv[1]) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    by_key = {(r["shape"], int(r["rows"]), r["case"]): r for r in rows}

    def wall(shape, n, case):
        r = by_key.get((shape, n, case))
        return float(r["wall_s"]) if r else None

    header = f"{'shape':<10}{'rows':>10}  {'case':<18}{'wall s':>9}{'rows/s':>12}{'cpu s':>9}{'peak RSS':>10}" \
             f"{'x baseline':>12}{'x floor':>9}"
    print()
    print(header)
    print("-" * len(header))
    for r in rows:
        shape, n, case = r["shape"], int(r["rows"]), r["case"]
        w = float(r["wall_s"])
        rate = n / w if w > 0 else float("inf")
        base = wall(shape, n, "python-baseline")
        floor = wall(shape, n, "read-csv-floor")
        vs_base = f"{base / w:.1f}x" if base and case != "python-baseline" and case != "read-csv-floor" else ""
        vs_floor = f"{w / floor:.2f}" if floor and case != "read-csv-floor" else ""
        print(f"{shape:<10}{n:>10}  {case:<18}{w:>9.2f}{rate:>12,.0f}{float(r['cpu_s']):>9.2f}"
              f"{int(r['peak_rss_kb']) // 1024:>7} MB{vs_base:>12}{vs_floor:>9}")
    print()
    print("x baseline = rows/s over the Python baseline's rows/s; x floor = wall time over DuckDB read_csv's.")
    print()

    shapes = sorted({r["shape"] for r in rows})
    base_rows = max((int(r["rows"]) for r in rows if r["case"] == "python-baseline"), default=None)
    for shape in shapes:
        base = wall(shape, 1000000, "python-baseline")
        floor = wall(shape, 1000000, "read-csv-floor")
        for case in ("connector-s3", "protocol-s3"):
            s3 = wall(shape, 1000000, case)
            if s3 and base:
                ratio = base / s3
                print(f"goal [{shape}] {case} >= 20x baseline rows/s at 1M rows: {ratio:.1f}x -> "
                      f"{'met' if ratio >= 20 else 'NOT met'}")
            if s3 and floor:
                ratio = s3 / floor
                print(f"goal [{shape}] {case} within 3x of the read_csv floor at 1M rows: {ratio:.2f}x -> "
                      f"{'met' if ratio <= 3 else 'NOT met'}")
        for case in ("connector-s3", "protocol-s3", "fetch-only-s3"):
            rss1 = by_key.get((shape, 1000000, case))
            rss10 = by_key.get((shape, 10000000, case))
            if rss1 and rss10:
                growth = int(rss10["peak_rss_kb"]) / int(rss1["peak_rss_kb"]) - 1
                print(f"goal [{shape}] {case} peak RSS flat (within 20%) from 1M to 10M rows: {growth * 100:+.0f}% -> "
                      f"{'met' if abs(growth) <= 0.2 else 'NOT met'}")
    if base_rows is None:
        print("(no Python baseline in these results)")

if __name__ == "__main__":
    main()
