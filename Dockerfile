# syntax=docker/dockerfile:1
# workspace-storage-webhook image: build with the full toolchain, run on distroless Node 24 with production
# dependencies only, as a non-root numeric user. The root filesystem can be read-only: the server writes nothing
# but generated certificates, and in a cluster CERT_DIR is a mounted Secret (certs and config are mounted).

# 1. Compile TypeScript (dev dependencies: typescript and friends).
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# 2. Production dependencies only, resolved from the same lock file.
FROM node:24-bookworm-slim AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# 3. Runtime: no shell, no package manager, no dev dependencies.
FROM gcr.io/distroless/nodejs24-debian12:nonroot AS runtime
WORKDIR /app
# An 8 MB young generation instead of V8's default (which grows to 16 MB semi-spaces under load and keeps them):
# ~6 MB less RSS with 10,000 workspaces cached at the same throughput; 4 MB cost ~7% throughput, 2 MB ~15%
# (bench/README.md, "Findings"). An old generation of 128 MB: V8 sized its heap from the machine's memory, not the
# Deployment's 256Mi limit, and let garbage of large reviews grow until the kernel killed the container; capped, it
# collects in time (test/hostile/memory-ceiling.e2e.test.ts; the live heap with 10,000 workspaces cached is ~35 MB).
ENV NODE_ENV=production CERT_DIR=/certs PORT=8443 NODE_OPTIONS="--max-semi-space-size=8 --max-old-space-size=128"
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/nodejs/bin/node", "dist/cli/main.js"]
CMD ["serve"]
