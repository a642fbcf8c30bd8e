#!/bin/sh
# Usage: fuzz/run.sh TARGET [SECONDS]. Runs one target without a sanitizer (SANITIZER=address for
# ASan, about 4x slower) with its seeds and dictionary, one worker
# (fork mode, so a crash, timeout or OOM is saved under artifacts/TARGET/ and the run goes on).
set -eu
cd "$(dirname "$0")"
target=$1
secs=${2:-600}
dict=
case $target in
  rule_loader|timeline_readers) dict=-dict=rule-language.dict ;;
  monitor_restore) dict=-dict=snapshot.dict ;;
esac
max_len=65536
# Structured inputs: start long (a few hundred bytes make a rule set and a timeline).
[ "$target" = structured_eval ] && max_len="4096 -len_control=0"
mkdir -p "corpus/$target" "seeds/$target"
RUSTC_BOOTSTRAP=1 exec cargo fuzz run -s "${SANITIZER:-none}" "$target" "corpus/$target" "seeds/$target" -- \
  -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -max_len=$max_len \
  -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -print_final_stats=1 $dict
