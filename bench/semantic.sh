#!/usr/bin/env bash
# The semantic tier's cost (issue 4): lockfix with --semantic off / auto / on, side by side in one
# run, on mini-redis (from the vendored corpus of bench/corpus.sh, built against the vendored
# sources so cargo metadata works offline) and on lockfix's own workspace.
#
#   bench/semantic.sh [REPETITIONS]      (default 3; prints medians of wall time and peak RSS)
#
# Needs the corpus vendored by bench/corpus.sh (it downloads it if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-3}
corpus=${CORPUS:-${TMPDIR:-/tmp}/lockfix-corpus}
[ -d "$corpus" ] || bench/corpus.sh 1 >/dev/null
cargo build --release --quiet
lockfix=$PWD/target/release/lockfix

# mini-redis as a crate of its own whose dependencies come from the vendored corpus.
redis=$(mktemp -d)
trap 'rm -rf "$redis"' EXIT
cp -r "$corpus"/mini-redis-0.4.1/. "$redis"
rm -f "$redis/.cargo-checksum.json"
mkdir -p "$redis/.cargo"
printf '[source.crates-io]\nreplace-with = "vendored"\n[source.vendored]\ndirectory = "%s"\n' "$corpus" \
  >"$redis/.cargo/config.toml"
(cd "$redis" && cargo generate-lockfile --offline --quiet)

measure() { /usr/bin/time -f '%e %M' "$@" >/dev/null 2>/tmp/lockfix-semantic-time || true; tail -1 /tmp/lockfix-semantic-time; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "| target | --semantic | median wall (s) | median peak RSS (MiB) |"
echo "|---|---|---|---|"
for target in mini-redis lockfix; do
  declare -A wall=() rss=()
  for ((i = 0; i < reps; i++)); do
    for mode in off auto on; do
      case $target in
        mini-redis) out=$(cd "$redis" && measure "$lockfix" --semantic "$mode" --format json .) ;;
        lockfix) out=$(measure "$lockfix" --semantic "$mode" --format json src transforms/src semantic/src) ;;
      esac
      wall[$mode]+="${out% *} "
      rss[$mode]+="${out#* } "
    done
  done
  for mode in off auto on; do
    w=$(tr ' ' '\n' <<<"${wall[$mode]}" | grep . | median)
    m=$(tr ' ' '\n' <<<"${rss[$mode]}" | grep . | median)
    echo "| $target | $mode | $w | $((m / 1024)) |"
  done
  unset wall rss
done
