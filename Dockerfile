# xueliang: one image for the edge agent (default) and the aggregator.
#   docker build -t xueliang .
#   agent (host networking, so WS-Discovery multicast reaches the cameras' LAN):
#     docker run -d --network host -v /etc/xueliang:/etc/xueliang:ro -v xueliang-state:/var/lib/xueliang xueliang
#   aggregator:
#     docker run -d -p 8080:8080 -e XUELIANG_ROLE=aggregator -v /etc/xueliang:/etc/xueliang:ro -v xueliang-state:/var/lib/xueliang \
#       xueliang aggregator --config /etc/xueliang/aggregator.yaml
# (set http.host: 0.0.0.0 in aggregator.yaml to publish the API from the container)

# ---- build: compile TypeScript and better-sqlite3, then keep production dependencies only
FROM node:20-bookworm-slim AS build
WORKDIR /src
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY platform ./platform
COPY agent ./agent
COPY aggregator ./aggregator
COPY protocols ./protocols
COPY config ./config
COPY cli ./cli
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: Debian's ffmpeg, a non-root user, config and state volumes
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system xueliang \
 && useradd --system --gid xueliang --home-dir /var/lib/xueliang --shell /usr/sbin/nologin xueliang \
 && mkdir -p /etc/xueliang /var/lib/xueliang \
 && chown xueliang:xueliang /var/lib/xueliang
WORKDIR /opt/xueliang
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY config/agent.example.yaml config/aggregator.example.yaml ./config/
COPY README.md ./
USER xueliang
VOLUME ["/etc/xueliang", "/var/lib/xueliang"]
ENV NODE_ENV=production XUELIANG_ROLE=agent
HEALTHCHECK --interval=60s --timeout=5s --start-period=90s --retries=3 CMD ["node", "dist/scripts/healthcheck.js"]
ENTRYPOINT ["node", "--max-semi-space-size=1", "--optimize-for-size", "dist/cli/main.js"]
CMD ["agent", "--config", "/etc/xueliang/agent.yaml"]
