FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
# npm run build compiles the server and builds the dashboard's bundle into dist/web (copied below with dist).
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 3000
# Heap limits as `npm start` sets them (README, "Memory"): V8 otherwise lets garbage pile up towards
# a limit sized from the host's memory, and RSS under load climbs past 230 MB with ~60 MB live.
CMD ["node", "--max-old-space-size=128", "--max-semi-space-size=16", "dist/src/main.js"]
