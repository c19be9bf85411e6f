#!/usr/bin/env python3
"""Writes docs/benchmarks.md (to standard output) from the fragments `bench/run.sh` leaves
in bench/results/ and the hand-written analysis in bench/ANALYSIS.md.

Each fragment is produced by the tool that measured it; this script only puts them in
order, so the document is always one run's numbers."""

import pathlib
import sys

root = pathlib.Path(__file__).resolve().parent
results = root / "results"


def read(name: str) -> str:
    path = results / name
    if not path.exists():
        sys.exit(f"missing {path}: run bench/run.sh")
    return path.read_text().strip()


def main() -> None:
    machine = read("machine.txt")
    # run.sh records the command with the settings it was given; older runs did not.
    command = next(
        (line.split(": ", 1)[1] for line in machine.splitlines() if line.startswith("command: ")),
        "bench/run.sh",
    )
    out = [
        "# Benchmarks",
        "",
        "Issue 7: a national-scale data set, the five queries against a raw-SQL floor and",
        "PostGraphile, the bulk-email path against lettre's pooled floor, and the evaluator",
        "assignment solver. **Everything below comes from one run of one command:**",
        "",
        "```sh",
        command,
        "```",
        "",
        "It builds the release binaries and PostGraphile (`npm ci` in `bench/postgraphile`),",
        "regenerates the data set into `lsscp_bench` (`BENCH_REUSE_DATA=1` keeps one it generated",
        "before, whose log is then the one below), starts the three servers on loopback, and",
        "writes this file and the raw CSV in `bench/results/`. Its settings are listed at the",
        "top of `bench/run.sh`. The benchmark is not part of the test suite; `cargo test -p",
        "bench` runs a smoke test of the generator at scale 0.001.",
        "",
        "## Machine",
        "",
        "```text",
        machine,
        "```",
        "",
        "The load tester, the three servers, PostgreSQL and the worker all share these cores,",
        "so each target's numbers include the others' noise equally. The analysis that",
        "follows (`bench/ANALYSIS.md`, written by hand) is about the run recorded here; a new",
        "run rewrites the tables, not the analysis.",
        "",
        (root / "ANALYSIS.md").read_text().strip(),
        "",
        "## Data set",
        "",
        "`target/release/generate --seed 7 --scale 1.0` (deterministic: the same seed and",
        "scale give the same rows on any machine; `COPY … FROM STDIN`, one COPY per table),",
        f"into a fresh database, then `VACUUM ANALYZE`; {read('database-size.txt')} on disk afterwards.",
        "",
        "```text",
        read("generate.txt"),
        "```",
        "",
        "## Queries Q1–Q5",
        "",
        read("queries.md"),
        "",
        "### Q3 computed afresh",
        "",
        "The API answers Q3 from a snapshot at most `reports.statistics_max_age_seconds` old",
        "(docs/decisions.md, Reports), which is why its Q3 row above is not comparable work",
        "with the floor's and PostGraphile's. What one recomputation costs",
        "(`programmeStatistics(fresh: true)`, one request at a time, wall clock at the client):",
        "",
        read("q3-fresh.md"),
        "",
        "## SQL statements per request",
        "",
        read("statements.md"),
        "",
        "## Bulk path: renewal notices",
        "",
        read("bulk.md"),
        "",
        read("assignment.md"),
        "",
    ]
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
