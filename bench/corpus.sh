#!/usr/bin/env bash
# Reproducible whole-tree benchmark (issue 7): lockfix vs ast-grep with one relational rule vs the
# grep floor, over the pinned corpus in ../shared/corpus, side by side in one run.
#
#   bench/corpus.sh [REPETITIONS]        (default 5; prints medians and peak memory as Markdown,
#                                         then the cost at 1/4, 1/2 and all of the corpus)
#
# Downloads (once): the corpus crates via `cargo vendor` into $CORPUS (default
# ${TMPDIR:-/tmp}/lockfix-corpus) and @ast-grep/cli 0.51 from the npm registry into bench/.tools.
# lockfix itself never reaches the network; this script does, to fetch what it compares against.
# lockfix runs twice: its syntax tier (`--semantic off`, the whole-tree scan) and its default mode
# (`auto`: the semantic tier where types could change an answer), the latter with a cache
# directory of its own filled by one run before the measured ones (workspaces cargo cannot
# resolve offline are remembered there: a user's second run). bench/semantic.sh measures forced
# semantic loads.
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
corpus=${CORPUS:-${TMPDIR:-/tmp}/lockfix-corpus}
manifest_dir=${TMPDIR:-/tmp}/lockfix-corpus-manifest

if [ ! -d "$corpus" ]; then
  rm -rf "$manifest_dir" && cp -r ../shared/corpus "$manifest_dir"
  cargo vendor --locked --versioned-dirs --manifest-path "$manifest_dir/Cargo.toml" "$corpus" >/dev/null
fi
if [ ! -x bench/.tools/node_modules/.bin/ast-grep ]; then
  npm install --silent --prefix bench/.tools @ast-grep/cli@0.51 >/dev/null
fi
cargo build --release --quiet
lockfix=target/release/lockfix
sg=bench/.tools/node_modules/.bin/ast-grep

files=$(find "$corpus" -name '*.rs' | wc -l)
lines=$(find "$corpus" -name '*.rs' -print0 | xargs -0 cat | wc -l)

# One measurement: "<seconds> <peak KiB>" of a command, output discarded.
measure() { /usr/bin/time -f '%e %M' "$@" >/dev/null 2>/tmp/lockfix-bench-time || true; tail -1 /tmp/lockfix-bench-time; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
LOCKFIX_CACHE_DIR=$cache "$lockfix" --dry-run --format json "$corpus" >/dev/null || true

declare -A secs mem
tools=(grep lockfix lockfix-default ast-grep)
for ((i = 0; i < reps; i++)); do
  for tool in "${tools[@]}"; do
    case $tool in
      grep) out=$(measure grep -rlE --include='*.rs' '\.(lock|read|write)\(\)' "$corpus") ;;
      lockfix) out=$(measure "$lockfix" --dry-run --semantic off --format json "$corpus") ;;
      lockfix-default) out=$(LOCKFIX_CACHE_DIR=$cache measure "$lockfix" --dry-run --format json "$corpus") ;;
      ast-grep) out=$(measure "$sg" scan --rule bench/ast-grep-rule.yml --json=compact "$corpus") ;;
    esac
    secs[$tool]+="${out% *}"$'\n'
    mem[$tool]+="${out#* }"$'\n'
  done
done

echo "corpus: $files files, $lines lines; $reps repetitions, interleaved; $(nproc) cores"
echo
echo "| tool | median wall (s) | peak RSS (MiB) | lockfix / tool |"
echo "|---|---|---|---|"
lf=$(printf '%s' "${secs[lockfix]}" | median)
for tool in "${tools[@]}"; do
  s=$(printf '%s' "${secs[$tool]}" | median)
  m=$(printf '%s' "${mem[$tool]}" | median)
  printf '| %s | %.2f | %.0f | %.2f |\n' "$tool" "$s" "$(echo "$m / 1024" | bc -l)" "$(echo "$lf / $s" | bc -l)"
done

# How the cost grows with the tree: the first quarter, half and all of the corpus's crates
# (alphabetical), each as a directory of symbolic links (lockfix follows them), three runs each.
echo
echo "| part | lines | candidate lines (files with a no-argument lock call) | lockfix median wall (s) |"
echo "|---|---|---|---|"
crates=("$corpus"/*/)
for part in 4 2 1; do
  subset=$(mktemp -d)
  count=$(( ${#crates[@]} / part ))
  for crate in "${crates[@]:0:count}"; do ln -s "${crate%/}" "$subset/"; done
  lines=$(find -L "$subset" -name '*.rs' -print0 | xargs -0 cat | wc -l)
  candidates=$(grep -rlE --include='*.rs' '\.(lock|read|write)\(\)' "${crates[@]:0:count}" | tr '\n' '\0' | xargs -0 cat | wc -l)
  runs=""
  for ((i = 0; i < 3; i++)); do
    runs+="$(measure "$lockfix" --dry-run --semantic off --format json "$subset" | cut -d' ' -f1)"$'\n'
  done
  printf '| 1/%s | %s | %s | %s |\n' "$part" "$lines" "$candidates" "$(printf '%s' "$runs" | median)"
  rm -rf "$subset"
done
