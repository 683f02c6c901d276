#!/usr/bin/env bash
# Sets up the machine (idempotent) and runs every test: unit tests, integration tests against a
# real broker (Tansu on a free loopback port, started here and stopped on exit), and the
# embedded-broker (librdkafka mock cluster) tests, in five phases (see below). Extra arguments go
# to one `swift test` run instead (e.g. `scripts/test.sh --filter AgentTests`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh
export PKG_CONFIG_PATH="/usr/local/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

# A free port on 127.0.0.1 for Tansu.
PORT="$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
mkdir -p .test-run
TANSU_LOG="$ROOT/.test-run/tansu.log"
RUST_LOG="${RUST_LOG:-warn}" .venv/bin/tansu broker \
  --listener-url "tcp://127.0.0.1:$PORT" --advertised-listener-url "tcp://127.0.0.1:$PORT" >"$TANSU_LOG" 2>&1 &
TANSU_PID=$!
cleanup() { kill "$TANSU_PID" 2>/dev/null || true; wait "$TANSU_PID" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# Wait until it accepts connections (bounded).
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  kill -0 "$TANSU_PID" 2>/dev/null || { echo "tansu exited early:"; cat "$TANSU_LOG"; exit 1; }
  sleep 0.1
done
echo "[test] tansu on 127.0.0.1:$PORT (pid $TANSU_PID)"
export PA_KAFKA_BOOTSTRAP="127.0.0.1:$PORT"

# The house format (.swift-format): any difference fails the run (fix with scripts/format.sh).
swift format lint --strict --recursive --parallel Sources Tests Package.swift

swift build --build-tests

# With arguments (a --filter, say), one run as asked.
if [ "$#" -gt 0 ]; then
  swift test --skip-build "$@"
  exit
fi

# Every test, in five phases. Tests that start processes (agents, routers, the CLI, the fake
# upstream, the Python SDKs) load both cores and the one broker; run beside the other ~450 tests
# they made timing-bound tests elsewhere miss their deadlines. So: the in-process tests first, then
# the suites that run the CLI and the fake upstream as processes, then those that start, kill and
# flood agent and router processes, then the chaos suites, then the gateway's (a whole system of
# processes each: agents, a router, gateways or batch runners, the Python SDKs). Every phase runs;
# the script fails if any did.
CLI_SUITES='AgentCommandTests|AgentLocalEndToEndTests|AgentOpenAIEndToEndTests|BrokerCommandTests'
CLI_SUITES+='|FakeUpstreamCLITests|RunCommandTests|SDKFidelityTests|SendCommandTests'
PROCESS_SUITES='RouterWaitTests|AgentProcessTests|AgentReassignmentTests|ClusterRateLimitTests'
CHAOS_SUITES='RouterKillTests|ScaleOutTests'
GATEWAY_SUITES='GatewaySDKTests|BatchKillTests|BatchPaceTests'
status=0
echo "[test] phase 1 of 5: the in-process tests"
swift test --skip-build --skip "\\.($CLI_SUITES|$PROCESS_SUITES|$CHAOS_SUITES|$GATEWAY_SUITES)/" || status=1
echo "[test] phase 2 of 5: the CLI and fake-upstream processes ($CLI_SUITES)"
swift test --skip-build --filter "\\.($CLI_SUITES)/" || status=1
echo "[test] phase 3 of 5: agent and router processes ($PROCESS_SUITES)"
swift test --skip-build --filter "\\.($PROCESS_SUITES)/" || status=1
echo "[test] phase 4 of 5: the chaos suites ($CHAOS_SUITES)"
swift test --skip-build --filter "\\.($CHAOS_SUITES)/" || status=1
echo "[test] phase 5 of 5: the gateway and batch systems ($GATEWAY_SUITES), one after the other"
for suite in ${GATEWAY_SUITES//|/ }; do
  swift test --skip-build --filter "\\.$suite/" || status=1
done
exit "$status"
