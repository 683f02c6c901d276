#!/usr/bin/env bash
# Sets up the machine (idempotent) and runs the main job on the embedded default:
# the embedded broker, a fake LLM upstream, an agent per provider, a router and sample requests
# with a live status, in one process until Ctrl-C (options: provider-agents run --help).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
export PKG_CONFIG_PATH="/usr/local/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
swift build --product provider-agents
exec "$(swift build --show-bin-path)/provider-agents" run "$@"
