FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
# npm run build compiles the server and builds the dashboard's bundle into dist/web (copied below with dist).
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
# Two malloc arenas instead of glibc's 8 per core: fewer half-empty arenas, measured 8–11 MB less peak RSS
# under the bench's load on Node 24 (docs/benchmarks.md, "Memory as shipped").
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 3000
# Heap limits as `npm start` sets them (README, "Memory"): V8 otherwise lets garbage pile up towards
# a limit sized from the host's memory, and RSS under load climbs past 230 MB with ~60 MB live; 8 MB
# semi-spaces keep Node 24's young generation from adding ~28 MB at peak, at no measured CPU cost.
CMD ["node", "--max-old-space-size=128", "--max-semi-space-size=8", "dist/src/main.js"]
