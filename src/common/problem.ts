import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger, ValidationError } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** One field-level complaint inside a validation problem. */
export interface FieldError {
  field: string;
  message: string;
}

/** The RFC 9457 body every error answers with. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export const PROBLEM_TYPE_BASE = 'https://khqr-orchestrator.dev/problems/';

/** Throw this anywhere: the filter turns it into application/problem+json. */
export class ProblemException extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string>; [k: string]: unknown } = {},
  ) {
    super(detail);
    this.name = 'ProblemException';
  }

  toBody(instance?: string): ProblemBody {
    const { headers: _headers, ...extensions } = this.extra;
    return {
      type: PROBLEM_TYPE_BASE + this.code.replace(/_/g, '-'),
      title: TITLES[this.status] ?? 'Error',
      status: this.status,
      detail: this.detail,
      code: this.code,
      ...(instance ? { instance } : {}),
      ...extensions,
    };
  }
}

export const notFound = (what: string) => new ProblemException(404, 'not_found', `${what} was not found`);

/** Flattens class-validator errors into `field.path: message` pairs. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      out.push({ field, message: message.replace(/^property (\S+) should not exist$/, 'unknown field: $1 is not allowed') });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

export function validationProblem(errors: FieldError[]): ProblemException {
  return new ProblemException(400, 'validation_failed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
}

/** Fastify's own errors (bad JSON, body too large, wrong content type) carry these codes. */
const FASTIFY_CODES: Record<string, { status: number; code: string; detail: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'malformed_json', detail: 'the request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'malformed_json', detail: 'the request body is empty but declared as JSON' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'body_too_large', detail: 'the request body is larger than 1 MiB' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', detail: 'send application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'bad_content_length', detail: 'Content-Length does not match the body' },
  FST_ERR_BAD_URL: { status: 400, code: 'bad_url', detail: 'the URL is malformed' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'bad_request', detail: 'the request could not be routed' },
};

/** PostgreSQL SQLSTATEs for text it refuses: character_not_in_repertoire, untranslatable_character. */
const PG_BAD_TEXT = new Set(['22021', '22P05']);

const DB_DOWN = /ECONNREFUSED|ECONNRESET|Connection terminated|terminating connection|the database system is (starting up|shutting down)|timeout exceeded when trying to connect|Client has encountered a connection error|57P01|57P03/;

export function problemFromUnknown(exception: unknown): ProblemException {
  if (exception instanceof ProblemException) return exception;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    if (status === 404) return new ProblemException(404, 'not_found', 'no such route or resource');
    // Fastify's body-parser errors arrive wrapped by Nest: keep their meaning, drop their wording.
    const cause = (exception as { cause?: { code?: string } }).cause;
    if (cause?.code && FASTIFY_CODES[cause.code]) return problemFromUnknown(cause);
    if (status === 413) return problemFromUnknown({ code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    if (status === 415) return problemFromUnknown({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
    if (status === 400 && /JSON/i.test(exception.message)) return problemFromUnknown({ code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
    const message = typeof response === 'object' && response && 'message' in response ? (response as { message: unknown }).message : exception.message;
    const detail = Array.isArray(message) ? message.join('; ') : String(message);
    return new ProblemException(status, status === 429 ? 'rate_limited' : status === 401 ? 'unauthorized' : 'http_error', detail);
  }
  const err = exception as { code?: string; statusCode?: number; message?: string } | undefined;
  if (err?.code && FASTIFY_CODES[err.code]) {
    const known = FASTIFY_CODES[err.code];
    return new ProblemException(known.status, known.code, known.detail);
  }
  if (err?.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return new ProblemException(err.statusCode, 'bad_request', 'the request could not be processed');
  }
  // Text PostgreSQL cannot store (a NUL byte, an invalid UTF-8 sequence) came from the request: a 400, not a crash.
  if (err?.code && PG_BAD_TEXT.has(err.code)) {
    return new ProblemException(400, 'invalid_characters', 'the request contains characters that cannot be stored (for example a NUL byte)');
  }
  if (err?.message && (DB_DOWN.test(err.message) || DB_DOWN.test(err.code ?? ''))) {
    return new ProblemException(503, 'service_unavailable', 'the database is unavailable; retry shortly', { headers: { 'Retry-After': '2' } });
  }
  return new ProblemException(500, 'internal_error', 'an unexpected error occurred; it has been logged');
}

/** The one exception filter: every error leaves as RFC 9457 problem+json, with no stack or SQL. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const request = ctx.getRequest<FastifyRequest>();
    const problem = problemFromUnknown(exception);
    if (problem.status >= 500) {
      const e = exception as Error;
      // The route's shape, not the URL: a public URL is itself a credential (the request's access line, same request_id, has the URL redacted).
      this.logger.error({ err: { name: e?.name, message: e?.message, stack: e?.stack }, route: request?.routeOptions?.url }, 'request failed');
    }
    for (const [name, value] of Object.entries(problem.extra.headers ?? {})) void reply.header(name, value);
    void reply
      .status(problem.status)
      .header('content-type', 'application/problem+json; charset=utf-8')
      .send(problem.toBody(request?.url?.split('?')[0]));
  }
}
