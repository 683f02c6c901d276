#!/usr/bin/env bash
# Sets up the machine (idempotent) and runs the main job on the embedded default:
# an in-process Kafka broker, the topics of topics/, a signal sent and received back, with timings.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
export PKG_CONFIG_PATH="/usr/local/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
swift build --product provider-agents
exec "$(swift build --show-bin-path)/provider-agents" demo "$@"
