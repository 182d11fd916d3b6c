/**
 * buildApp(config, db) → a ready Fastify instance. Tests call app.inject() on it without
 * opening a port; main.ts listens and shuts down. The database is opened, migrated and seeded
 * by the caller, so the app itself never does slow work at construction.
 */
import http from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import fp from 'fastify-plugin';
import multipart from '@fastify/multipart';
import type { Config } from './config.js';
import type { Db } from './db/connect.js';
import { BadRequestError, errorBody, NotFoundError, PayloadTooLargeError, TimeoutError, toAppError } from './errors.js';
import { authPlugin } from './auth/auth-plugin.js';
import { tokenRoutes } from './auth/routes.js';
import { auditRoutes } from './auth/audit-routes.js';
import { securityPlugin } from './http/security.js';
import { apiDocsRoutes } from './http/api-docs.js';
import { documentResponses } from './http/openapi-responses.js';
import { healthRoutes } from './http/health-routes.js';
import { requestMetrics } from './http/metrics.js';
import { historyRoutes } from './layers/history-routes.js';
import { layerRoutes } from './layers/routes.js';
import { uploadRoutes } from './ingest/upload-routes.js';
import { viewerRoutes } from './web/viewer-routes.js';
import { corsPlugin } from './ogc/cors.js';
import { ogcRoutes } from './ogc/routes.js';
import { checkRoutes } from './checks/routes.js';
import { tileRoutes } from './tiles/routes.js';
import { TileService } from './tiles/tile-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    config: Config;
  }
}

export async function buildApp(config: Config, db: Db): Promise<FastifyInstance> {
  const app = Fastify({
    logger:
      config.logLevel === 'silent'
        ? false
        : {
            level: config.logLevel,
            // Secrets never reach logs.
            redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'], censor: '[redacted]' },
          },
    bodyLimit: config.limits.bodyBytes,
    // Query strings are validated by the routes, which name the bad parameter.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    return503OnClosing: true,
    trustProxy: config.trustProxy,
    // A tile may combine up to 16 layer ids of up to 64 characters (`a,b,…`).
    routerOptions: { maxParamLength: 1100 },
    forceCloseConnections: 'idle',
    // A request Node cannot parse gets the project's error body, and for the common case — Chinese
    // typed into a URL unencoded — says what to do (found by a walkthrough: a bare "Client Error")
    clientErrorHandler: (err: Error & { code?: string }, socket) => {
      // a client gone (reset) or a socket already closed: nothing to answer, as Fastify's own handler
      if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy(err);
      // the project's error body (errors.ts); the status line says what Node refused
      const [status, reason, error] =
        err.code === 'HPE_INVALID_URL'
          ? [400, 'Bad Request', new BadRequestError('网址含有未编码的字符：中文等非 ASCII 字符须按 URL 编码（百分号编码，如 encodeURIComponent） (the URL has unencoded characters: percent-encode non-ASCII ones)', { parameter: 'url' })]
          : err.code === 'HPE_HEADER_OVERFLOW'
            ? [431, 'Request Header Fields Too Large', new PayloadTooLargeError('请求头过大 (request headers too large)', { limit: 'maxHeaderSize', max: http.maxHeaderSize, parameter: 'headers' })]
            : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
              ? [408, 'Request Timeout', new TimeoutError('请求在时限内未发完 (the request was not received in time)', { parameter: 'request' })]
              : [400, 'Bad Request', new BadRequestError(`请求无法解析 (the request could not be parsed: ${err.code ?? 'parse error'})`, { parameter: 'request' })];
      const body = JSON.stringify(errorBody(error));
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    },
  });
  app.decorate('db', db);
  app.decorate('config', config);

  app.setErrorHandler((err, request, reply) => {
    const appError = toAppError(err, config.limits.bodyBytes);
    if (appError.status >= 500) request.log.error({ err }, 'request failed');
    else request.log.debug({ err: appError.message }, 'client error');
    reply.status(appError.status).type('application/json').send(errorBody(appError));
  });
  app.setNotFoundHandler((request, reply) => {
    const err = new NotFoundError(`没有此路径 (no route ${request.method} ${request.url.split('?')[0]})`);
    reply.status(404).send(errorBody(err));
  });

  await app.register(swagger, {
    // the responses each operation gives (documentation only: openapi-responses.ts)
    transformObject: (doc) => ('openapiObject' in doc ? documentResponses(doc.openapiObject as Parameters<typeof documentResponses>[0]) : doc.swaggerObject) as never,
    openapi: {
      openapi: '3.0.3',
      info: {
        title: '德惠市矿产资源总体规划 空间规划服务 API',
        description: 'Layers, conflict checks, vector tiles and OGC API Features for the Dehui mineral resources plan 2021–2025.',
        version: '0.1.0',
      },
      tags: [
        { name: 'OGC API', description: 'OGC API Features / Tiles' },
        { name: 'layers', description: '图层与版本 (layers and versions)' },
        { name: 'health', description: '健康检查' },
        { name: 'auth', description: '令牌与角色 (tokens and roles)' },
        { name: 'tiles', description: '矢量瓦片、TileJSON 与样式 (vector tiles, TileJSON, style)' },
      ],
    },
  });

  // Multipart once, globally: file parts are streamed; the size bound is named in the 413.
  await app.register(multipart, { limits: { fileSize: config.limits.uploadBytes, files: 1, fields: 20, fieldSize: 1024 * 1024, parts: 30 } });
  // Security headers and rate limits first, so every route (and every refusal) carries them.
  await app.register(securityPlugin);
  await app.register(authPlugin, { adminToken: config.adminToken });
  // CORS for the 一张图 origin(s) in CORS_ORIGINS, before the routes so every route is covered.
  await app.register(corsPlugin);
  await app.register(fp(requestMetrics));
  await app.register(healthRoutes);
  await app.register(tokenRoutes);
  await app.register(auditRoutes);
  await app.register(layerRoutes);
  await app.register(historyRoutes);
  await app.register(uploadRoutes);
  // one tile service (engines, indexes, cache) for /tiles/… and OGC API Tiles
  const tiles = new TileService(db, { cacheBytes: config.tileCacheBytes, postgisMinZoom: config.postgisMinZoom, indexBytes: config.tileIndexBytes });
  await app.register(ogcRoutes, { tiles });
  await app.register(checkRoutes);
  await app.register(tileRoutes, { tiles });

  await app.register(viewerRoutes);

  await app.register(apiDocsRoutes);
  app.get('/ogc/api', { schema: { hide: true } }, async (_request, reply) => {
    reply.type('application/vnd.oai.openapi+json;version=3.0');
    return app.swagger();
  });

  await app.ready();
  return app;
}
