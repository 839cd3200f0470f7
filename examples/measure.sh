#!/usr/bin/env bash
# Runs each scenario program RUNS times (default 10) before and after `lockfix --apply` and prints
# its `measured:` line: the spread behind the README's "What it fixes" table. With NOISY=1, two
# busy loops compete for the CPUs while the programs run.
# Usage (from the repository root): examples/measure.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
lockfix="$root/target/release/lockfix"
hogs=()
# scenario:unsafe-fixes (003's fixes are safe)
for entry in seed_000_fluvio:1 seed_001_signup:1 seed_002_context_manager:1 seed_003_login:0 seed_004_instance_pool:1; do
  name=${entry%%:*}
  for side in before after; do
    mkdir -p "$work/$side/$name"
    cp -r "$root/examples/$name/Cargo.toml" "$root/examples/$name/Cargo.lock" "$root/examples/$name/src" "$work/$side/$name/"
  done
  flags=(--apply --allow-dirty)
  [ "${entry##*:}" = 1 ] && flags+=(--unsafe-fixes)
  (cd "$work/after/$name" && "$lockfix" "${flags[@]}" . > /dev/null) || true
  for side in before after; do
    # One target dir per side: both copies have the same crate name and version.
    CARGO_TARGET_DIR="$root/target/measure-$side" cargo build --release --quiet --manifest-path "$work/$side/$name/Cargo.toml"
  done
done
if [ "${NOISY:-0}" = 1 ]; then
  yes > /dev/null & hogs+=($!)
  yes > /dev/null & hogs+=($!)
  trap 'kill "${hogs[@]}"; rm -rf "$work"' EXIT
fi
for entry in seed_000_fluvio seed_001_signup seed_002_context_manager seed_003_login seed_004_instance_pool; do
  bin=$(sed -n 's/^name = "\(.*\)"/\1/p' "$root/examples/$entry/Cargo.toml")
  for side in before after; do
    for _ in $(seq "$runs"); do
      echo "$entry $side $("$root/target/measure-$side/release/$bin" | grep '^measured:')"
    done
  done
done
