import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger, ValidationError } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { COMMON_ERRORS as E } from './common.errors';
import { FieldError, ProblemException, problem, problemAt } from './problem-exception';

export type { FieldError, ProblemBody, ProblemCode } from './problem-exception';
export { PROBLEM_TYPE_BASE, ProblemException, defineProblems, problem, problemAt } from './problem-exception';
export { COMMON_ERRORS } from './common.errors';

export const notFound = (what: string) => problem(E.not_found, `${what} was not found`);

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
  return problem(E.validation_failed, errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
}

/** Fastify's own errors (bad JSON, body too large, wrong content type) carry these codes. */
const FASTIFY_CODES: Record<string, () => ProblemException> = {
  FST_ERR_CTP_INVALID_JSON_BODY: () => problem(E.malformed_json, 'the request body is not valid JSON'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => problem(E.malformed_json, 'the request body is empty but declared as JSON'),
  FST_ERR_CTP_BODY_TOO_LARGE: () => problem(E.body_too_large, 'the request body is larger than 1 MiB'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => problem(E.unsupported_media_type, 'send application/json'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => problem(E.bad_content_length, 'Content-Length does not match the body'),
  FST_ERR_BAD_URL: () => problem(E.bad_url, 'the URL is malformed'),
  FST_ERR_ASYNC_CONSTRAINT: () => problemAt(E.bad_request, 400, 'the request could not be routed'),
};

/** PostgreSQL SQLSTATEs for text it refuses: character_not_in_repertoire, untranslatable_character. */
const PG_BAD_TEXT = new Set(['22021', '22P05']);

const DB_DOWN =
  /ECONNREFUSED|ECONNRESET|Connection terminated|terminating connection|the database system is (starting up|shutting down)|timeout exceeded when trying to connect|Client has encountered a connection error|57P01|57P03/;

export function problemFromUnknown(exception: unknown): ProblemException {
  if (exception instanceof ProblemException) return exception;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    if (status === 404) return problem(E.not_found, 'no such route or resource');
    // Fastify's body-parser errors arrive wrapped by Nest: keep their meaning, drop their wording.
    const cause = (exception as { cause?: { code?: string } }).cause;
    if (cause?.code && FASTIFY_CODES[cause.code]) return problemFromUnknown(cause);
    if (status === 413) return problemFromUnknown({ code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    if (status === 415) return problemFromUnknown({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
    if (status === 400 && /JSON/i.test(exception.message)) return problemFromUnknown({ code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
    const message = typeof response === 'object' && response && 'message' in response ? (response as { message: unknown }).message : exception.message;
    const detail = Array.isArray(message) ? message.join('; ') : String(message);
    if (status === 429) return problem(E.rate_limited, detail);
    if (status === 401) return problem(E.unauthorized, detail);
    return problemAt(E.http_error, status, detail);
  }
  const err = exception as { code?: string; statusCode?: number; message?: string } | undefined;
  if (err?.code && FASTIFY_CODES[err.code]) {
    return FASTIFY_CODES[err.code]();
  }
  if (err?.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return problemAt(E.bad_request, err.statusCode, 'the request could not be processed');
  }
  // Text PostgreSQL cannot store (a NUL byte, an invalid UTF-8 sequence) came from the request: a 400, not a crash.
  if (err?.code && PG_BAD_TEXT.has(err.code)) {
    return problem(E.invalid_characters, 'the request contains characters that cannot be stored (for example a NUL byte)');
  }
  if (err?.message && (DB_DOWN.test(err.message) || DB_DOWN.test(err.code ?? ''))) {
    return problem(E.service_unavailable, 'the database is unavailable; retry shortly', { headers: { 'Retry-After': '2' } });
  }
  return problem(E.internal_error, 'an unexpected error occurred; it has been logged');
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
