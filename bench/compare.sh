#!/usr/bin/env bash
# Two lockfix builds side by side over the pinned corpus (`--semantic off --format json`),
# interleaved, so the shared machine's load falls on both alike:
#
#   bench/compare.sh OLD_BINARY NEW_BINARY [PAIRS]     (default 9 pairs)
#
# Prints each build's median wall, user+system CPU and peak RSS, and the ratios new / old. The
# corpus is the one bench/corpus.sh vendors ($CORPUS, default ${TMPDIR:-/tmp}/lockfix-corpus).
# Issue 13's scan-time bound is read off this: OLD is 9fe25e5, the code before issue 13.
set -euo pipefail
old=$1
new=$2
pairs=${3:-9}
corpus=${CORPUS:-${TMPDIR:-/tmp}/lockfix-corpus}
[ -d "$corpus" ] || { echo "no corpus at $corpus: run bench/corpus.sh first" >&2; exit 2; }
times=$(mktemp)
trap 'rm -f "$times"' EXIT
for ((i = 0; i < pairs; i++)); do
  for build in old new; do
    binary=$old
    [ "$build" = new ] && binary=$new
    /usr/bin/time -f "$build %e %U %S %M" -a -o "$times" \
      "$binary" --dry-run --semantic off --format json "$corpus" >/dev/null || true
  done
done
grep -E '^(old|new) ' "$times" | awk '
  { wall[$1] = wall[$1] " " $2; cpu[$1] = cpu[$1] " " ($3 + $4); rss[$1] = rss[$1] " " $5 }
  function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    printf "| build | median wall (s) | median user+sys (s) | median peak RSS (MiB) |\n|---|---|---|---|\n"
    for (b = 1; b <= 2; b++) {
      name = b == 1 ? "old" : "new"
      printf "| %s | %.2f | %.2f | %.0f |\n", name, median(wall[name]), median(cpu[name]), median(rss[name]) / 1024
    }
    printf "\nnew / old: %.2fx wall, %.2fx CPU\n", median(wall["new"]) / median(wall["old"]), median(cpu["new"]) / median(cpu["old"])
  }'
