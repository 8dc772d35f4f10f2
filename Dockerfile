# seatstream: the compiled server and the demo page, on runtime dependencies only.
#
#   docker build -t seatstream .
#   docker run -p 3000:3000 -e SESSION_SECRET=... -e DEMO=off seatstream
#
# Configuration is the environment (docs/api.md#configuration; production settings in
# docs/operations.md). test/deploy/ checks this file and repeats its runtime stage outside Docker.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: dev dependencies, TypeScript to dist/, the demo page's bundle to public/build/ ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build, and the sources are not copied yet (this layer stays
# cached while only sources change). esbuild, the one dependency with an install script, runs without it.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# The page's TypeScript sources are bundled into public/build/: the runtime does not serve them.
RUN npm run build && rm -rf public/app

# --- runtime ---
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the server's user: the process writes nothing to disk.
COPY package.json package-lock.json ./
COPY scripts/prepare.mjs scripts/prepare.mjs
COPY --from=build /app/dist dist/
# `npm ci` runs `prepare`, which finds no build tools here and dist/main.js present: nothing to do.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/public public/

USER node
EXPOSE 3000
# Liveness only (/readyz is for the balancer): no curl or wget in the image, Node's fetch instead.
# Plain HTTP on PORT: with TLS_CERT_FILE set, use the orchestrator's own probe instead.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node is PID 1 (exec form, no shell or npm in between), so SIGTERM reaches it: readiness off,
# SHUTDOWN_DRAIN_MS (5 s) of draining, then exit within SHUTDOWN_GRACE_MS (5 s). Give the container
# more than their sum to stop (docker stop -t 15, stop_grace_period, terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
