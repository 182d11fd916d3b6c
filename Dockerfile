FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
EXPOSE 3000
USER node
# One process (no npx/tsx wrapper), so SIGTERM reaches the server and it drains gracefully.
CMD ["node", "--import", "tsx", "server/main.ts"]
