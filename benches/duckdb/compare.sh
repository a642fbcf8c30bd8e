#!/usr/bin/env bash
# The side-by-side comparison of docs/performance.md: "3 new contacts within 7 days" over a
# million generated JSON Lines, in early-signal (one rule, then the whole default pack) and as a
# SQL window query in DuckDB, each on one thread (`--threads 1`). Needs Python 3 with
# `pip install duckdb`.
#
#   benches/duckdb/compare.sh [DIR]     # DIR defaults to /tmp/region
set -euo pipefail
cd "$(dirname "$0")/../.."
dir="${1:-/tmp/region}"
as_of="2027-01-01T00:00:00+01:00"
cargo build --release --quiet
bin=./target/release/early-signal
if [ ! -f "$dir/observations.jsonl" ]; then
    "$bin" generate --out "$dir" --subjects 10000 --per-subject 100
fi
rules=$(mktemp -d)
trap 'rm -rf "$rules"' EXIT
cp rules/vocabulary.yaml benches/duckdb/three-new-contacts.yaml "$rules/"
lines=$(wc -l < "$dir/observations.jsonl")
echo "$lines lines in $dir/observations.jsonl"
for run in 1 2 3; do
    echo "-- run $run"
    /usr/bin/time -f "early-signal, one rule:   %e s wall, %M KB peak" \
        "$bin" --threads 1 eval "$dir/observations.jsonl" --rules "$rules" --as-of "$as_of" --format jsonl \
        2>&1 >/dev/null | grep -v '^warning' || true
    /usr/bin/time -f "early-signal, default pack: %e s wall, %M KB peak" \
        "$bin" --threads 1 eval "$dir/observations.jsonl" --subjects "$dir/subjects.jsonl" --as-of "$as_of" \
        --format jsonl 2>&1 >/dev/null | grep -v '^warning' || true
    /usr/bin/time -f "duckdb process:            %e s wall, %M KB peak" \
        python3 benches/duckdb/three_new_contacts.py "$dir/observations.jsonl"
done
