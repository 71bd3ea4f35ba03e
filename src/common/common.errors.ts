import { defineProblems } from './problem-exception';

/** Problem codes any module may answer with, and those the problem filter gives to errors that are not ours. */
export const COMMON_ERRORS = defineProblems('common', {
  validation_failed: { status: 400, meaning: 'The request body, query or path failed validation; `errors` lists each field and why.' },
  not_found: { status: 404, meaning: 'No such route, or no such resource for this merchant (another merchant’s id answers the same).' },
  unauthorized: { status: 401, meaning: 'The Authorization header is missing, malformed or holds an unknown key or token.' },
  rate_limited: { status: 429, meaning: 'Too many requests for a limit (per key, per address, per merchant); `Retry-After` says when to retry.' },
  malformed_json: { status: 400, meaning: 'The body is declared as JSON but is empty or not valid JSON.' },
  body_too_large: { status: 413, meaning: 'The body is larger than allowed (1 MiB for the API).' },
  unsupported_media_type: { status: 415, meaning: 'The body is not application/json.' },
  bad_content_length: { status: 400, meaning: 'Content-Length does not match the body.' },
  bad_url: { status: 400, meaning: 'The URL is malformed.' },
  bad_request: { status: 'varies', meaning: 'A 4xx the web framework raised that has no code of its own; the status is the framework’s.' },
  http_error: { status: 'varies', meaning: 'Any other HTTP error raised by the framework; the status is the framework’s.' },
  invalid_characters: { status: 400, meaning: 'The request holds text PostgreSQL cannot store (a NUL byte, invalid UTF-8).' },
  service_unavailable: { status: 503, meaning: 'The database is unavailable; retry shortly (`Retry-After`).' },
  internal_error: { status: 500, meaning: 'An unexpected error; it has been logged with the request id.' },
});
