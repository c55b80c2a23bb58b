# syntax=docker/dockerfile:1
# tdbroker image: compiled with the dev toolchain, run with production
# dependencies only, as the unprivileged "node" user. See docs/deployment.md.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# npm install, not npm ci: package-lock.json is written on one platform and
# cannot list prebuilt-tdlib's optional packages for the others, so npm ci
# would refuse it here. --ignore-scripts keeps the "prepare" script (tsc) from
# running before the sources are in place.
COPY package.json package-lock.json ./
# the client is an npm workspace of this package (client/): npm needs its package.json to install
COPY client/package.json ./client/
RUN npm install --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY bench ./bench
COPY client/tsconfig.json ./client/
COPY client/src ./client/src
RUN npm run build
RUN test -f dist/src/cli/main.js || { echo 'dist/src/cli/main.js was not built: check outDir/rootDir in tsconfig.json' >&2; exit 1; }

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY client/package.json ./client/
# --ignore-scripts skips "prepare" (tsc is a dev dependency, absent here) and
# tdl's install step, which would only compile the addon if no prebuild fit:
# tdl ships prebuilds/linux-x64/tdl.glibc.node (and linux-arm64), and TDLib
# itself comes as prebuilt-tdlib's platform package @prebuilt-tdlib/linux-*-glibc.
# The two checks fail the build if either is missing for this platform.
RUN npm install --omit=dev --no-audit --no-fund --ignore-scripts \
 && npm cache clean --force \
 && node -e "require('node-gyp-build')(require('path').dirname(require.resolve('tdl/package.json')))" \
 && node -e "require('fs').accessSync(require('prebuilt-tdlib').getTdjson())"
COPY --from=build /app/dist ./dist
# the sandbox backend's demo world, and the MySQL schema to apply by hand
COPY sandbox ./sandbox
COPY schema.sql ./
# settings.json is mounted read-only; sessions and log must be writable by
# "node" (uid 1000): chown the host folders accordingly (docs/deployment.md)
RUN mkdir -p storage/sessions storage/log && chown -R node:node storage
USER node
VOLUME ["/app/storage/sessions", "/app/storage/log"]
EXPOSE 23456
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["node", "dist/src/admin/health-probe.js", "/app/storage/settings.json"]
CMD ["node", "dist/src/cli/main.js", "start", "--settings", "/app/storage/settings.json"]
