#!/usr/bin/env bash
# One generated file of N async functions, each holding a std mutex guard across an `.await`:
# the analysis of one file must grow linearly with its functions (generated protocol bindings
# and bindgen output are that large). Prints the wall time and peak memory per size.
#
#   bench/many_functions.sh [path/to/lockfix] [sizes...]
set -euo pipefail
lockfix=${1:-target/release/lockfix}
shift || true
sizes=${*:-500 1000 2000 4000 20000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for n in $sizes; do
    file="$dir/f$n.rs"
    {
        echo 'use std::sync::Mutex;'
        echo 'static M: Mutex<Vec<u64>> = Mutex::new(Vec::new());'
        echo 'async fn io() {}'
        for ((i = 0; i < n; i++)); do
            printf 'pub async fn f%d() -> usize {\n    let g = M.lock().unwrap();\n    io().await;\n    g.len()\n}\n' "$i"
        done
    } >"$file"
    /usr/bin/time -f "$n functions: %e s, %M KiB" "$lockfix" --dry-run --semantic off "$file" >/dev/null || true
done
