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

/** The problem's `title`: the reason phrase of its status. */
export const problemTitle = (status: number): string => TITLES[status] ?? 'Error';

export const PROBLEM_TYPE_BASE = 'https://khqr-orchestrator.dev/problems/';

export type ProblemExtra = { errors?: FieldError[]; headers?: Record<string, string>; [k: string]: unknown };

/** Throw this anywhere: the filter turns it into application/problem+json. Build it from a catalogue entry (problem()). */
export class ProblemException extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly extra: ProblemExtra = {},
  ) {
    super(detail);
    this.name = 'ProblemException';
  }

  toBody(instance?: string): ProblemBody {
    const { headers: _headers, ...extensions } = this.extra;
    return {
      type: PROBLEM_TYPE_BASE + this.code.replace(/_/g, '-'),
      title: problemTitle(this.status),
      status: this.status,
      detail: this.detail,
      code: this.code,
      ...(instance ? { instance } : {}),
      ...extensions,
    };
  }
}

/**
 * A code's HTTP status: one status; or the few it may take, chosen where it is thrown (problemAt);
 * or 'varies' for the codes that carry the status of an error they translate (problem.ts).
 */
export type StatusSpec = number | readonly number[] | 'varies';
/** The statuses a code may be thrown with. */
export type StatusOf<S extends StatusSpec> = S extends readonly (infer N)[] ? N : S extends 'varies' ? number : S;

/** One entry of a module's catalogue of problem codes (docs/errors.md lists them all). */
export interface ProblemCode<Code extends string = string, Status extends StatusSpec = StatusSpec> {
  readonly module: string;
  readonly code: Code;
  readonly status: Status;
  /** The `title` of the problem body: the reason phrase of the status (of each status, or 'by status' when it varies). */
  readonly title: string;
  /** What the code means, for docs/errors.md. */
  readonly meaning: string;
}

/** A module's catalogue: the keys are the codes, so a code is spelt once and a typo does not compile. */
export function defineProblems<const T extends Record<string, { status: StatusSpec; meaning: string }>>(
  module: string,
  defs: T,
): { readonly [K in keyof T & string]: ProblemCode<K, T[K]['status']> } {
  const entries = Object.entries(defs).map(([code, { status, meaning }]) => {
    const title = typeof status === 'number' ? problemTitle(status) : status === 'varies' ? 'by status' : status.map(problemTitle).join(' / ');
    return [code, Object.freeze({ module, code, status, title, meaning })];
  });
  return Object.freeze(Object.fromEntries(entries)) as never;
}

/** Whether the catalogue lists this status for the entry. */
function allows(entry: ProblemCode, status: number): boolean {
  if (entry.status === 'varies') return true;
  return typeof entry.status === 'number' ? entry.status === status : entry.status.includes(status);
}

/** The exception of a code with one status. */
export function problem(entry: ProblemCode<string, number>, detail: string, extra?: ProblemExtra): ProblemException {
  return new ProblemException(entry.status, entry.code, detail, extra);
}

/** The exception of a code whose status is chosen where it is thrown (one of the catalogue's statuses). */
export function problemAt<S extends StatusSpec>(entry: ProblemCode<string, S>, status: StatusOf<S>, detail: string, extra?: ProblemExtra): ProblemException {
  // A status the catalogue does not list is a programming error: fail loudly rather than answer an undocumented status.
  if (!allows(entry, status)) throw new Error(`problem ${entry.code} is not documented with status ${status}`);
  return new ProblemException(status, entry.code, detail, extra);
}
