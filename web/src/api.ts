/**
 * The server's HTTP API, as the viewer uses it. Same origin only (the viewer is served by the
 * API server), so every URL here is a path. The bearer token comes from auth.ts.
 */
import { authHeader, noteDenied, type Capability } from './auth.ts';

/** A JSON error from the server: `{error, message, details}` (architecture.md). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
  get denied(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

export interface AttributeDef {
  name: string;
  label: string;
  type: 'string' | 'number' | 'integer' | 'boolean' | 'date';
  required?: boolean;
}

export interface LayerSummary {
  id: string;
  title: string;
  kind: string;
  group: string | null;
  geometryType: string;
  featureCount: number;
  version: number;
  /** [minLon, minLat, maxLon, maxLat], EPSG:4490 */
  bbox: [number, number, number, number] | null;
}

export interface LayerDetail extends LayerSummary {
  description: string | null;
  attributes: AttributeDef[];
  labelField: string | null;
}

export interface VersionSummary {
  version: number;
  createdAt: string;
  author: string;
  note: string | null;
  source: Record<string, unknown> | null;
  added: number;
  removed: number;
  changed: number;
  featureCount: number;
  restoredFrom: number | null;
}

export interface AreaFigures {
  m2: number;
  ha: number;
  mu: number;
  km2: number;
}

export interface Finding {
  ruleId: string;
  layer: string | null;
  layerTitle?: string | null;
  verdict: string;
  verdictLabel?: string;
  title?: string;
  area: AreaFigures | null;
  sharePercent?: number | null;
  share?: number | null;
  featureCount?: number;
  features: { id: string; name: string; area?: AreaFigures; sharePercent?: number }[];
  citation: string;
  message: string;
}

export interface CheckReport {
  id: string;
  name: string | null;
  activity: string;
  activityLabel?: string;
  mineral: string;
  verdict: string;
  verdictLabel?: string;
  block?: { area: AreaFigures; bbox: [number, number, number, number] };
  area?: AreaFigures;
  input?: { format: string; vertexCount: number; declaredArea: AreaFigures | null; declaredDifferenceM2: number | null };
  findings: Finding[];
  warnings?: { message: string; severity: string; line?: number }[];
  skippedRules?: { ruleId: string; reason: string; unverified?: boolean }[];
  links?: { self: string; overlaps: string; html: string };
}

export interface InputProblem {
  feature?: number;
  line?: number;
  field?: string;
  severity: 'error' | 'warning';
  message: string;
  /** not in the contract yet; used when present */
  location?: [number, number];
  bbox?: [number, number, number, number];
}

async function toApiError(res: Response): Promise<ApiError> {
  let body: { error?: string; message?: string; details?: unknown } = {};
  try {
    body = await res.json();
  } catch {
    /* not JSON: keep the status text */
  }
  // not the server's JSON (a proxy's HTML page, an empty body): a Chinese line, not "Bad Gateway" or nothing
  return new ApiError(res.status, body.error ?? String(res.status), body.message || statusLine(res.status), body.details);
}

/** GET/POST JSON. A 401/403 is reported to auth.ts (which hides what the role cannot use). */
/** `capability` names what the call needs (see auth.ts); such calls carry the token. */
export async function request<T>(path: string, init: RequestInit & { json?: unknown; capability?: Capability } = {}): Promise<T> {
  const headers = new Headers(init.headers);
  // The token goes only with calls that need a role: a revoked token is a 401 on every request.
  const auth = init.capability ? authHeader() : null;
  if (auth) headers.set('authorization', auth);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  const res = await fetch(path, { ...init, headers, body });
  if (!res.ok) {
    const err = await toApiError(res);
    if (err.denied && init.capability) noteDenied(init.capability, err.status);
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? res.json() : res.text()) as Promise<T>;
}

export const getJson = <T>(path: string) => request<T>(path);

const layerDetails = new Map<string, Promise<LayerDetail>>();
/** /api/layers/{id}, cached per page (attribute labels do not change while viewing). */
export function layerDetail(id: string): Promise<LayerDetail> {
  let p = layerDetails.get(id);
  if (!p) {
    p = getJson<LayerDetail>(`/api/layers/${encodeURIComponent(id)}`);
    p.catch(() => layerDetails.delete(id));
    layerDetails.set(id, p);
  }
  return p;
}

export const listLayers = () => getJson<LayerSummary[]>('/api/layers');

/**
 * Multipart POST with upload progress (fetch has no upload progress events; XHR does).
 * onProgress gets a fraction 0..1, or null when the size is not computable.
 */
export function uploadWithProgress<T>(path: string, form: FormData, onProgress: (fraction: number | null) => void, capability?: Capability): { promise: Promise<T>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<T>((resolve, reject) => {
    xhr.open('POST', path);
    const auth = authHeader();
    if (auth) xhr.setRequestHeader('authorization', auth);
    xhr.responseType = 'text';
    xhr.upload.addEventListener('progress', (e) => onProgress(e.lengthComputable ? e.loaded / e.total : null));
    xhr.upload.addEventListener('load', () => onProgress(1));
    xhr.addEventListener('load', () => {
      let body: unknown = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body as T);
      const b = (body ?? {}) as { error?: string; message?: string; details?: unknown };
      const err = new ApiError(xhr.status, b.error ?? String(xhr.status), b.message ?? (xhr.statusText || `HTTP ${xhr.status}`), b.details);
      if (err.denied && capability) noteDenied(capability, xhr.status);
      reject(err);
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network', '网络错误，请检查与服务器的连接')));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'aborted', '已取消上传')));
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

function statusLine(status: number): string {
  if (status === 413) return `文件或请求过大（HTTP ${status}）。`;
  if (status === 429) return `请求过于频繁，请稍后再试（HTTP ${status}）。`;
  if (status === 502 || status === 503 || status === 504) return `服务器暂时无法访问，请稍后再试（HTTP ${status}）。`;
  if (status >= 500) return `服务器内部错误（HTTP ${status}）。`;
  return `请求失败（HTTP ${status}）。`;
}

/** A Chinese sentence for an error, for the status line. */
export function describeError(err: unknown): string {
  // fetch rejects with a TypeError ("Failed to fetch") when the network or the server is gone
  if (err instanceof TypeError) return '网络错误：无法连接服务器，请检查网络后重试。';
  if (err instanceof ApiError) {
    if (err.status === 401) return '需要登录：请使用有效的访问令牌登录。';
    if (err.status === 403) return '当前令牌的角色无权执行此操作。';
    if (err.status === 404 && err.code === 'not_found' && /route|路径/i.test(err.message)) return '服务器尚未提供此功能。';
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
