#!/usr/bin/env bash
# Sets up the machine (idempotent), builds `kafka-bench`, `fake-upstream` and `provider-agents` in
# release mode and runs every benchmark: the Kafka baseline (raw produce / consume throughput,
# awaited-send round trip, consume->produce pass-through, for 200 B and 1 KB messages), the agent
# benchmark (the provider agent with a 0-ms and a 200-ms test provider against the raw
# pass-through), the real adapters against the fake upstream, and the scale suite (1, 2, 4 agent
# processes against the fake upstream; the pause a joining and a leaving agent cause), the latency
# suite (direct and routed, one at a time and 64 in flight, for every latency profile; where a
# request waits, hop by hop; one stream's time to first chunk) and the ledger suite (a new
# assignment over a 1,000,000-record ledger partition). Prints the tables to standard output
# (progress on standard error); `--suite kafka`, `--suite agent`, `--suite adapters`,
# `--suite scale`, `--suite latency` or `--suite ledger` runs one of them.
#
# By default the benchmark starts its own Tansu broker on a free loopback port and stops it at
# the end; `--bootstrap host:port` uses a running broker instead. Extra arguments go to
# kafka-bench (`scripts/bench.sh --help` lists them), e.g.:
#   scripts/bench.sh --messages 50000 --sizes 200
#   scripts/bench.sh --suite agent --agent-requests 20000
#   scripts/bench.sh --suite scale --scale-agents 1 2 4 --scale-in-flight 32
#   scripts/bench.sh --bootstrap 127.0.0.1:9092
#
# Environment:
#   BENCH_SCRATCH_PATH  SwiftPM scratch (build) directory; default: SwiftPM's own (.build)
#   TANSU_BIN           Tansu binary; default: .venv/bin/tansu (installed by scripts/setup.sh)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh
export PKG_CONFIG_PATH="/usr/local/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

BUILD_ARGS=(-c release)
if [ -n "${BENCH_SCRATCH_PATH:-}" ]; then BUILD_ARGS+=(--scratch-path "$BENCH_SCRATCH_PATH"); fi

swift build "${BUILD_ARGS[@]}" --product kafka-bench
swift build "${BUILD_ARGS[@]}" --product fake-upstream
swift build "${BUILD_ARGS[@]}" --product provider-agents
BIN_PATH="$(swift build "${BUILD_ARGS[@]}" --show-bin-path)"
exec "$BIN_PATH/kafka-bench" "$@"
