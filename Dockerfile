# syntax=docker/dockerfile:1
#
# The placement ledger service. Three build stages share one toolchain image (better-sqlite3
# compiles from source when no prebuilt binary matches); the runtime image has no compiler, no
# dev dependencies and no sources, and runs as the image's non-root `node` user.
#
#   docker build -t placement-ledger .
#   docker run -p 3000:3000 -v ledger-data:/data placement-ledger                  # SQLite in /data
#   docker run -e EVENTSTORE_CONNECTION_STRING=esdb://host:2113?tls=false ...       # KurrentDB
#   docker run --rm -v ledger-data:/data placement-ledger export > ledger.ndjson    # any command
# Node 24, an LTS line supported until April 2028 (better-sqlite3 12 supports Node 20 to 26). The
# service also runs on Node 22 (>= 22.12) and 20 (>= 20.19, past its end of life): package.json
# "engines". Another supported line: --build-arg NODE_IMAGE=node:22-bookworm-slim.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app

# Everything, dev dependencies included: tsc and the dashboard bundler (esbuild).
FROM toolchain AS build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY events ./events
COPY projections ./projections
COPY src ./src
COPY bench ./bench
COPY dashboard ./dashboard
COPY scripts ./scripts
RUN npm run build

# Production dependencies only, compiled against the same base image as the runtime.
FROM toolchain AS prod-deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    LEDGER_DATA_DIR=/data
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# The keys file, the pepper, the personal-data key store, projection snapshots and (without
# EventStoreDB) the SQLite log live in /data: losing the pepper loses the link between a person
# and their earlier applications; losing personal-keys.db makes every sealed application read
# as erased.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# Ready: the store answers and the projections hold everything it holds (GET /health/ready).
# Node has fetch, so the slim image needs no curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1: `serve` handles SIGTERM itself (stops accepting, drains, closes the store).
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["serve"]
