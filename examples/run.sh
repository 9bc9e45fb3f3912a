#!/usr/bin/env bash
# Proof that a user can use the package: pack netvsc-sim, install the tarball by name into a
# temporary copy of each example (with fast-check, the toolkit's peer dependency) and run its tests.
# Called by .ci/run. Needs dist/ (npm pack runs the build through `prepare`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"
tgz="$(npm pack --silent --pack-destination "$work" | tail -1)"
for ex in "$root"/examples/*/; do
  name="$(basename "$ex")"
  echo "== example $name"
  cp -r "$ex" "$work/$name"
  cd "$work/$name"
  npm install --no-audit --no-fund --prefer-offline --silent "$work/$tgz" fast-check@^4 >/dev/null
  npm test
  cd "$root"
done
echo "== examples done"
