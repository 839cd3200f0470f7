#!/bin/sh
# A real editor against `lockfix server`: Neovim, headless, with its built-in LSP client, on
# seed 003 (examples/seed_003_login). check.lua waits for the diagnostics, applies the preferred
# quick fix at the first guard-across-blocking finding, then `source.fixAll.lockfix`; this script
# compares the buffer after each step with what the command line makes of the same text
# (`lockfix --apply`, standard input to standard output, nothing written).
#
#     bench/editor/run.sh [PATH/TO/lockfix]      (default: target/debug/lockfix)
#
# Needs Neovim 0.7 or later (Debian: apt-get install neovim). CI does not run it: the
# integration tests in tests/server.rs drive the same server with a client of their own.
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd)
lockfix=${1:-$repo/target/debug/lockfix}
case $lockfix in /*) ;; *) lockfix=$(pwd)/$lockfix ;; esac
if ! command -v nvim >/dev/null 2>&1; then
    echo "bench/editor/run.sh needs Neovim (apt-get install neovim)" >&2
    exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -R "$repo/examples/seed_003_login" "$work/"
file=$work/seed_003_login/src/lib.rs

# The quick fix is the one fix of the first guard-across-blocking finding; the CLI applies the
# same with only that rule selected (the rule's other finding has no fix). Fix-all is every safe
# fix, as `lockfix --apply` without --unsafe-fixes.
"$lockfix" --semantic off --apply --select guard-across-blocking --stdin-filename "$file" - \
    <"$file" >"$work/expected_quickfix.rs" 2>/dev/null || true
"$lockfix" --semantic off --apply --stdin-filename "$file" - \
    <"$file" >"$work/expected_fix_all.rs" 2>/dev/null || true

mkdir "$work/out"
LOCKFIX=$lockfix OUT=$work/out timeout 180 nvim --headless --clean -n \
    -c "luafile $repo/bench/editor/check.lua" "$file" 2>&1

status=0
for step in quickfix fix_all; do
    if cmp -s "$work/expected_$step.rs" "$work/out/after_$step.rs"; then
        echo "ok: the buffer after the $step action is what lockfix --apply writes"
    else
        echo "MISMATCH after the $step action:"
        diff -u "$work/expected_$step.rs" "$work/out/after_$step.rs" || true
        status=1
    fi
done
if cmp -s "$file" "$repo/examples/seed_003_login/src/lib.rs"; then
    echo "ok: nothing was written to disk (the editor holds the edits)"
else
    echo "the file on disk changed" >&2
    status=1
fi
exit $status
