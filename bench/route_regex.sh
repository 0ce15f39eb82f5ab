#!/usr/bin/env bash
# Kong's router cost of the segment-boundary routes (docs/DECISIONS.md): built offline with cargo
# against Debian's Rust regex crate; prints a skip line where cargo or root is missing.
set -euo pipefail
cd "$(dirname "$0")/route_regex"
if ! command -v cargo >/dev/null; then echo "route.regex: skipped (no cargo on this machine)"; exit 0; fi
if ! ls -d /usr/share/cargo/registry/regex-1.* >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then echo "route.regex: skipped (apt-get install librust-regex-dev needs root)"; exit 0; fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq librust-regex-dev >/dev/null
fi
cargo build --release -q
./target/release/route_regex_bench
