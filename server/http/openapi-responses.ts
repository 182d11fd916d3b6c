/**
 * The responses each operation of the OpenAPI document gives, besides its success: the route
 * schemas carry no response schemas (those would make Fastify serialise through them), so
 * @fastify/swagger wrote one "200 Default Response" per operation (found by an OGC review:
 * /req/oas30/completeness). Documentation only: added here, by method and path, with the one
 * error body every refusal has (errors.ts).
 */
type Operation = { responses?: Record<string, { description: string; content?: unknown }> };
type Doc = { paths?: Record<string, Record<string, Operation>>; components?: Record<string, unknown> };

const ERROR = { $ref: '#/components/schemas/Error' };
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ERROR } } });

/** the success status of each write that is not a plain 200 */
const SUCCESS: [RegExp, string, Record<string, string>][] = [
  [/^\/api\/tokens$/, 'post', { '201': '令牌已创建（密钥只在此响应中） (created; the secret is shown once)' }],
  [/^\/api\/layers$/, 'post', { '201': '图层已创建（版本 0） (created, version 0)' }],
  [/^\/api\/layers\/\{id\}\/uploads$/, 'post', { '201': '已写入新版本 (written as a new version)', '200': '试运行报告，未写入 (dry run: the report, nothing written)' }],
  [/^\/api\/layers\/\{id\}\/versions\/\{v\}\/restore$/, 'post', { '201': '已恢复为新版本 (restored as a new version)', '200': '图层已与该版本相同，未生成版本 (unchanged: no version made)' }],
  [/^\/api\/checks$/, 'post', { '201': '检查报告 (the check report)' }],
  [/\/collections\/\{collectionId\}\/items$/, 'post', { '201': '已创建要素 (features created; Location)' }],
  [/\/items\/\{featureId\}$/, 'delete', { '204': '已删除 (deleted)' }],
  [/^\/api\/tokens\/\{id\}$/, 'delete', { '204': '已撤销 (revoked)' }],
  [/\/tiles\/\{layers\}\/\{z\}\/\{x\}\/\{y\}|\/tiles\/WebMercatorQuad\/\{z\}\/\{y\}\/\{x\}$/, 'get', { '204': '空瓦片 (an empty tile)', '304': '未修改 (If-None-Match)' }],
];

export function documentResponses(doc: Doc): Doc {
  doc.components = { ...(doc.components ?? {}), schemas: { ...((doc.components?.schemas as Record<string, unknown>) ?? {}), Error: {
    type: 'object',
    required: ['error', 'message'],
    properties: {
      error: { type: 'string', description: 'bad_request, unauthorized, forbidden, not_found, conflict, precondition_failed, payload_too_large, unsupported_media_type, unprocessable, too_many_requests, unavailable, timeout, internal' },
      message: { type: 'string', description: '中文说明 (English)' },
      details: { type: 'object', description: 'what and where: parameter, field, feature index, line, limit…' },
    },
  } } };
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const hasParams = path.includes('{');
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      // bbox is parsed by hand (to name it in errors), so its route schema says string: published as
      // OGC API Features gives it (/req/core/fc-bbox-definition), 4 or 6 numbers, comma separated
      const bbox = (op as { parameters?: { name: string; in: string; schema?: unknown; style?: string; explode?: boolean }[] }).parameters?.find((q) => q.name === 'bbox' && q.in === 'query');
      if (bbox) Object.assign(bbox, { style: 'form', explode: false, schema: { type: 'array', minItems: 4, maxItems: 6, items: { type: 'number' } } });
      const responses: Record<string, { description: string; content?: unknown }> = {};
      const success = SUCCESS.find(([re, m]) => m === method && re.test(path))?.[2];
      if (success) for (const [code, description] of Object.entries(success)) responses[code] = { description };
      if (!success || method === 'get') responses['200'] ??= { description: op.responses?.['200']?.description === 'Default Response' ? '成功 (OK)' : (op.responses?.['200']?.description ?? '成功 (OK)') };
      if (method === 'delete' && success && !('200' in success)) delete responses['200'];
      responses['400'] = errorResponse('请求参数有误，details 指明参数 (a bad parameter, named in details)');
      if (method !== 'get') {
        responses['401'] = errorResponse('缺少有效令牌 (no valid token)');
        responses['403'] = errorResponse('角色权限不足 (the token’s role is too low)');
      }
      if (hasParams) responses['404'] = errorResponse('不存在 (no such layer, feature, version or tile matrix)');
      if (method === 'put' || method === 'patch' || (method === 'delete' && path.includes('/items/'))) responses['412'] = errorResponse('If-Match 与当前版本不符 (If-Match does not match)');
      if (method === 'post' || method === 'put' || method === 'patch') {
        responses['413'] = errorResponse('超过上限，details.limit 指明 (over a limit, named in details.limit)');
        responses['422'] = errorResponse('内容有误，details.problems 逐行列出 (problems, row by row)');
      }
      responses['500'] = errorResponse('服务器错误 (server error)');
      op.responses = responses;
    }
  }
  return doc;
}
