/**
 * GET /api: the API documentation for people — every route of the OpenAPI document (the one at
 * /ogc/api, generated from the routes' schemas) with its method, summary and parameters, in one
 * page served from here (offline, no script, no external assets), and links to the machine-readable
 * documents. The OGC landing page's `service-doc` points here. (Found by a walkthrough: /api was
 * a 404 and service-doc pointed at JSON.)
 */
import type { FastifyInstance } from 'fastify';
import { escapeXml } from '../checks/svg-map.js';

interface Operation {
  summary?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; description?: string }[];
}

const esc = (s: unknown) => escapeXml(String(s ?? ''));

export function apiDocsHtml(doc: { info?: { title?: string; version?: string }; paths?: Record<string, Record<string, Operation>> }): string {
  const rows: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params = (op.parameters ?? []).map((p) => `<code>${esc(p.name)}</code>${p.in === 'path' ? '（路径）' : p.in === 'header' ? '（请求头）' : ''}${p.required && p.in !== 'path' ? '（必填）' : ''}${p.description ? `：${esc(p.description)}` : ''}`);
      rows.push(`<tr><td class="m m-${method}">${method.toUpperCase()}</td><td><code>${esc(path)}</code></td><td>${esc(op.summary ?? '')}${params.length ? `<ul>${params.map((p) => `<li>${p}</li>`).join('')}</ul>` : ''}</td></tr>`);
    }
  }
  return `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>接口文档 — ${esc(doc.info?.title ?? '')}</title>
<style>
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em auto; max-width: 1100px; color: #1f2328; padding: 0 1em; }
table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #d0d7de; padding: 6px; vertical-align: top; text-align: left; font-size: 14px; }
td.m { font-family: monospace; font-weight: bold; } .m-get { color: #0550ae; } .m-post { color: #116329; } .m-put, .m-patch { color: #953800; } .m-delete { color: #cf222e; }
ul { margin: 4px 0 0 1.2em; padding: 0; } code { font-size: 13px; }
</style></head><body>
<h1>接口文档（API documentation）</h1>
<p>${esc(doc.info?.title ?? '')} ${esc(doc.info?.version ?? '')}。机器可读的定义：<a href="ogc/api">整个服务的 OpenAPI 3.0（/ogc/api）</a>；
<a href="ogc/openapi.json">OGC API 的 OpenAPI 3.0（/ogc/openapi.json）</a>；<a href="ogc">OGC API 入口（/ogc）</a>。
写操作须带令牌：<code>Authorization: Bearer …</code>（角色：viewer &lt; planner &lt; editor &lt; admin）。</p>
<table><thead><tr><th>方法</th><th>路径</th><th>说明与参数</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>
</body></html>`;
}

export async function apiDocsRoutes(app: FastifyInstance): Promise<void> {
  let page: string | null = null; // the routes are fixed once the app is ready
  app.get('/api', { schema: { summary: '接口文档（HTML） API documentation for people', tags: ['health'] } }, async (_request, reply) => {
    page ??= apiDocsHtml(app.swagger() as Parameters<typeof apiDocsHtml>[0]);
    reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    return page;
  });
}
