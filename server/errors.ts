/**
 * Typed errors and the one table that maps them to HTTP status.
 *
 * Every error a client can cause is an AppError subclass carrying *where* it went wrong
 * (parameter name, feature index, line number, field) in `details`. The error handler in
 * app.ts turns any AppError into `{ error, message, details }`; anything else becomes a 500
 * whose internals are logged, never sent.
 */

export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unprocessable'
  | 'too_many_requests'
  | 'unavailable'
  | 'timeout'
  | 'internal';

/** The one status table. */
export const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  too_many_requests: 429,
  internal: 500,
  unavailable: 503,
  timeout: 504,
};

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
  get status(): number {
    return STATUS[this.code];
  }
}

/** A query-string or body parameter is missing or malformed; `parameter` names it. */
export class BadRequestError extends AppError {
  constructor(message: string, details?: { parameter?: string; [k: string]: unknown }) {
    super('bad_request', message, details);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, details?: unknown) {
    super('not_found', message, details);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, details?: unknown) {
    super('conflict', message, details);
  }
}

/** If-Match named a version of the resource that is not the current one (RFC 9110 §13.1.1) */
export class PreconditionFailedError extends AppError {
  constructor(message: string, details?: unknown) {
    super('precondition_failed', message, details);
  }
}

export class PayloadTooLargeError extends AppError {
  /** `limit` names the configured bound that was exceeded, e.g. `maxVertices`. */
  constructor(message: string, details: { limit: string; max: number; actual?: number; [k: string]: unknown }) {
    super('payload_too_large', message, details);
  }
}

/** One problem in an input file or body, located as precisely as the format allows. */
export interface InputProblem {
  /** 0-based feature index in the input, when the input has features */
  feature?: number;
  /** 1-based line number in a text input (TXT, CSV) */
  line?: number;
  /** attribute or JSON field the problem is in */
  field?: string;
  /** 'error' refuses the input; 'warning' is reported and the input is accepted */
  severity: 'error' | 'warning';
  message: string;
}

/** Well-formed request whose content cannot be processed (a bad file, a broken geometry). */
export class UnprocessableError extends AppError {
  constructor(message: string, details?: { problems?: InputProblem[]; [k: string]: unknown }) {
    super('unprocessable', message, details);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = '需要有效的访问令牌 (a valid bearer token is required)') {
    super('unauthorized', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = '当前角色无权执行此操作 (the token’s role does not allow this)') {
    super('forbidden', message);
  }
}

export class UnavailableError extends AppError {
  constructor(message = '数据库暂不可用，请稍后重试 (the database is unavailable, retry later)', details?: unknown) {
    super('unavailable', message, details);
  }
}

export class TimeoutError extends AppError {
  constructor(message = '查询超时 (the query took too long)', details?: unknown) {
    super('timeout', message, details);
  }
}

// ---------------------------------------------------------------------------------------------
// The one error handler: AppError → its status; schema validation → 400 naming the parameter;
// database outages → 503; statement timeouts → 504; anything else → 500 without internals.

interface FastifyLikeError extends Error {
  code?: string;
  statusCode?: number;
  validation?: Array<{ instancePath?: string; params?: Record<string, unknown>; message?: string }>;
  validationContext?: string;
}

/**
 * pg/PGlite error codes and socket errors that mean "the database is not there right now":
 * refused, reset, unreachable or unresolvable host (a database container that is down), admin
 * shutdown / crash / starting up (57P0x), connection exceptions (08xxx), too many connections.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300',
]);

export function toAppError(err: unknown, bodyBytes?: number): AppError {
  if (err instanceof AppError) return err;
  const e = err as FastifyLikeError;
  if (e?.validation) {
    const first = e.validation[0] ?? {};
    // a dotted path: style.fill, attributes.2.name; a missing or unknown member is named under its object
    const at = first.instancePath ? first.instancePath.replace(/^\//, '').replace(/\//g, '.') : '';
    const member = (first.params?.missingProperty ?? first.params?.additionalProperty) as string | undefined;
    const parameter = member !== undefined ? (at ? `${at}.${member}` : member) : at || undefined;
    const where = e.validationContext ?? 'request';
    return new BadRequestError(`参数无效 (invalid ${where} parameter${parameter ? ` "${parameter}"` : ''}: ${first.message ?? 'invalid'})`, {
      parameter,
      in: where,
    });
  }
  if (e?.code === '57014') return new TimeoutError();
  // Data exceptions (class 22: a date that does not exist, a number out of range, bad input
  // syntax) arise from values a client sent that passed the routes' own checks; the database's
  // message names the value, never the query. A backstop: routes should refuse such values first.
  if (typeof e?.code === 'string' && /^22[0-9A-Z]{3}$/.test(e.code)) {
    const reason = (e.message ?? '').split('\n')[0].slice(0, 200);
    return new BadRequestError(`输入值无效 (invalid value: ${reason})`, { sqlstate: e.code });
  }
  if (e?.code && UNAVAILABLE_CODES.has(e.code)) return new UnavailableError();
  if (e?.message && /Connection terminated|Query read timeout|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(e.message)) {
    return new UnavailableError();
  }
  if (e?.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return new BadRequestError(`请求体不是有效的 JSON (${e.message})`, { parameter: 'body' });
  }
  if (e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e?.statusCode === 413) {
    return new PayloadTooLargeError(`请求体过大 (request body too large${bodyBytes ? `: at most ${bodyBytes} bytes` : ''})`, { limit: 'bodyBytes', max: bodyBytes ?? -1 }); // -1: not known to this caller (the app's error handler passes the configured limit)
  }
  if (e?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || e?.statusCode === 415) {
    return new AppError('unsupported_media_type', `不支持的内容类型 (${e.message})`);
  }
  if (e?.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return new BadRequestError(e.message);
  }
  return new AppError('internal', '服务器内部错误 (internal error)');
}

export function errorBody(err: AppError): { error: ErrorCode; message: string; details?: unknown } {
  return err.details === undefined
    ? { error: err.code, message: err.message }
    : { error: err.code, message: err.message, details: err.details };
}

/**
 * A client's value named in a message: a string (cut to 40 characters), a number, or its kind —
 * never String() or JSON.stringify() of an array or object, which recurse (a value nested
 * thousands deep overflows the stack: a 500 instead of the 4xx being built).
 */
export function valueName(v: unknown): string {
  if (typeof v === 'string') return v.slice(0, 40);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'array' : typeof v;
}
