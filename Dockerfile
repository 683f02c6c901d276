# The provider-agents image: the `provider-agents` CLI plus the topic definitions of topics/ and
# the example configuration config/provider-agents.yaml (at /app/config/).
#
#   docker build -t provider-agents:latest .
#   docker run --rm provider-agents:latest provider-agents topics show
#
# There is deliberately no ENTRYPOINT: docker-compose.yml's commands name the program
# (`provider-agents agent ...`), so every command line reads the same as on a developer machine.

# ---- build ------------------------------------------------------------------------------------
# Ubuntu 24.04 ships librdkafka-dev 2.3.0, which meets the project's >= 2.3 requirement.
FROM swift:6.2-noble AS build

RUN apt-get update \
    && apt-get install -y --no-install-recommends librdkafka-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# Dependencies first, so they are cached as long as the manifest does not change.
COPY Package.* ./
RUN swift package resolve

COPY . .
RUN swift build -c release --product provider-agents \
    && mkdir -p /staging \
    && cp "$(swift build -c release --show-bin-path)/provider-agents" /staging/provider-agents

# ---- runtime ----------------------------------------------------------------------------------
# The slim image carries the Swift runtime libraries (and Foundation) without the toolchain.
FROM swift:6.2-noble-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends librdkafka1 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin agents

COPY --from=build /staging/provider-agents /usr/local/bin/provider-agents
COPY topics/ /app/topics/
COPY config/ /app/config/

WORKDIR /app
USER agents

CMD ["provider-agents", "--help"]
