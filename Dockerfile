# The service image. Two stages: the viewer (web/) is built with the dev dependencies (Vite,
# MapLibre), then the runtime keeps only production dependencies and the built web/dist.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
COPY --from=build /app/web/dist ./web/dist
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
# The embedded database (no DATABASE_URL) lives in a volume the unprivileged user owns: /app is root's.
RUN mkdir -p /data && chown node:node /data
ENV DATA_DIR=/data
VOLUME /data
EXPOSE 3000
USER node
# Readiness = the database answers (GET /readyz); node's own fetch, as the image has no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/readyz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# One process (no npx/tsx wrapper), so SIGTERM reaches the server and it drains gracefully.
CMD ["node", "--import", "tsx", "server/main.ts"]
