#!/usr/bin/env bash
# Renders the example case report in headless Chromium and checks that the page is not blank and
# holds what it should: the picture, a mark per observation, a window shading per flag, the
# flags' text.
#
#   tests/browser/run.sh [OUT_DIR]        (default OUT_DIR: target/browser)
#   tests/browser/run.sh --install-only   only make sure Chromium is there
#
# Chromium is Debian's `chromium` package (/usr/bin/chromium, or $CHROMIUM). When it is missing
# the script installs it with apt-get (as root, unless EARLY_SIGNAL_NO_INSTALL=1); when that is
# impossible it SKIPS: exit status 77 with a message on stderr. Status 0 means every check passed;
# any other status is a failure.
#
# The binary is $EARLY_SIGNAL_BIN (the integration test `tests/browser.rs` sets it), else it is
# built with cargo.
set -euo pipefail
cd "$(dirname "$0")/../.."

SKIP=77
skip() {
    echo "SKIP: $*" >&2
    exit "$SKIP"
}
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

find_chromium() {
    local c
    for c in "${CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
        if [ -n "$c" ] && [ -x "$c" ]; then
            echo "$c"
            return 0
        fi
    done
    return 1
}

ensure_chromium() {
    if find_chromium >/dev/null; then
        return 0
    fi
    if [ "${EARLY_SIGNAL_NO_INSTALL:-0}" = 1 ]; then
        skip "chromium is not installed and EARLY_SIGNAL_NO_INSTALL=1; install it with \`apt-get install -y chromium\` to run this test"
    fi
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        skip "chromium is not installed, and installing it needs root and apt-get; install Debian's \`chromium\` package to run this test"
    fi
    echo "chromium is missing: installing Debian's \`chromium\` package (once)" >&2
    # Serialised with other runs of this script; apt itself waits for its own lock.
    if ! (DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >&2 ||
        { DEBIAN_FRONTEND=noninteractive apt-get update >&2 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >&2; }); then
        skip "chromium could not be installed with apt-get (no network or no package); install it to run this test"
    fi
    find_chromium >/dev/null || skip "apt-get ran, but no chromium binary was found"
}

if [ "${1:-}" = --install-only ]; then
    ensure_chromium
    exit 0
fi

ensure_chromium
CHROME=$(find_chromium)
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to check the screenshot and the DOM"

OUT=${1:-target/browser}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

BIN=${EARLY_SIGNAL_BIN:-}
if [ -z "$BIN" ]; then
    cargo build --quiet --bin early-signal
    BIN=target/debug/early-signal
fi

# The example case of the README.
INPUT=examples/timelines/recruitment-window.yaml
SUBJECT=y-0001
AS_OF=2026-11-20T00:00:00+01:00
"$BIN" report "$INPUT" --subject "$SUBJECT" --as-of "$AS_OF" --html "$OUT/case.html" 2>"$OUT/report.stderr" ||
    fail "early-signal report failed: $(cat "$OUT/report.stderr")"
"$BIN" eval "$INPUT" --as-of "$AS_OF" --format json >"$OUT/eval.json" ||
    fail "early-signal eval failed"

# A private profile directory, so that runs neither share nor leave browser state.
PROFILE=$(mktemp -d)
trap 'rm -rf "$PROFILE"' EXIT
chrome() {
    timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --no-first-run --no-default-browser-check --user-data-dir="$PROFILE" "$@" 2>>"$OUT/chromium.log"
}
: >"$OUT/chromium.log"
rm -f "$OUT/case.png"
chrome --screenshot="$OUT/case.png" --window-size=1400,1000 "file://$OUT/case.html" >/dev/null ||
    fail "chromium could not take the screenshot (see $OUT/chromium.log)"
[ -s "$OUT/case.png" ] || fail "chromium wrote no screenshot (see $OUT/chromium.log)"
chrome --dump-dom "file://$OUT/case.html" >"$OUT/case.dom.html" ||
    fail "chromium could not dump the DOM (see $OUT/chromium.log)"

status=0
python3 tests/browser/check.py dom "$OUT/case.dom.html" "$OUT/eval.json" "$SUBJECT" || status=1
python3 tests/browser/check.py png "$OUT/case.png" || status=1
[ "$status" = 0 ] || fail "the rendered page is not what it should be (files in $OUT)"
echo "ok: $OUT/case.png rendered and checked"
