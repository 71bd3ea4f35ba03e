import fc from 'fast-check';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp, TestResponse } from '../helpers/test-app';
import { createTenant, Tenant, testModeIds } from './support/fixtures';
import { send, sent } from './support/http';
import { AppLike, KITS } from './support/providers';
import { Receiver } from './support/receiver';
import { newTally, writeTally } from './support/summary';

/**
 * Fuzzing every operation of the OpenAPI document (read at run time from /docs-json):
 * fast-check generated path ids, query strings, headers and bodies, mostly with valid
 * credentials so the input reaches validation. No answer may be a 5xx, none may carry a
 * stack trace, SQL or a secret, errors are problem+json, and a rejected request writes
 * nothing (a digest of orders, transactions, events, provider accounts, webhook endpoints,
 * merchants and API keys is unchanged across every 4xx).
 */
const TOTAL_REQUESTS = 10_200;
const SEED = Number(process.env.RELIABILITY_FUZZ_SEED ?? 20261124);
const GET_CONCURRENCY = 8;

type Json = Record<string, unknown>;
interface Operation {
  method: string;
  path: string;
  security: 'admin' | 'api_key' | null;
  params: { name: string; in: string; schema: Json }[];
  body: Json | null;
  tags: string[];
}
interface FuzzRequest {
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  /** valid: merchant A's live key (or the admin token); valid_test: A's test key; other: merchant B's live key. */
  auth: 'valid' | 'valid_test' | 'none' | 'wrong' | 'other';
  body: { kind: 'json'; value: unknown } | { kind: 'raw'; text: string; contentType: string | null } | { kind: 'none' };
}

/** Shapes that must never leave the app. */
const LEAKS =
  /\bat [\w$.<>]+ \([^)]*:\d+:\d+\)|\.ts:\d+:\d+|node_modules\/|QueryFailedError|TypeORM|syntax error at or near|\bSELECT\b[\s\S]{0,80}\bFROM\b|\bINSERT INTO\b|\bUPDATE \w+ SET\b|violates (unique|foreign key|check) constraint|duplicate key value|relation "\w+"|column "\w+"/i;

const NASTY_STRINGS = [
  '',
  ' ',
  '0',
  '-1',
  '1e309',
  'NaN',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  "' OR '1'='1",
  "'; DROP TABLE orders;--",
  '" OR ""="',
  '../../../etc/passwd',
  '..%2f..%2fadmin',
  '%00',
  '%',
  '%zz',
  '\u0000',
  '\ud800',
  '𝕏'.repeat(50),
  'ＡＢＣ',
  '<script>alert(1)</script>',
  '${7*7}',
  '{{7*7}}',
  'A'.repeat(600),
  '9'.repeat(40),
  'ord_' + '0'.repeat(26),
  'txn_01jd0000000000000000000000',
  'http://169.254.169.254/latest/meta-data/',
  'javascript:alert(1)',
  'file:///etc/passwd',
  '__proto__',
  'constructor',
];
const NASTY_NUMBERS = [0, -1, 1, 0.1, 0.001, 1.005, 100, 101, 1e21, -1e21, Number.MAX_SAFE_INTEGER, 2 ** 53 + 1, 86401, 59];

/** encodeURIComponent, except that a lone surrogate (which it refuses) goes out as its raw UTF-8 bytes. */
const encode = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return Buffer.from(s, 'utf8').toString('hex').replace(/(..)/g, '%$1');
  }
};

const nastyString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
);
const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: nastyString },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(...NASTY_NUMBERS, null, true, false, [], {}, [null], { $gt: '' }, { __proto__: { admin: true } }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);
/** Printable ASCII: what the HTTP client lets a header value carry. */
const headerValue = fc.oneof(
  fc.constantFrom('', ' ', 'x'.repeat(300), '\t', 'Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4='),
  fc.string({ maxLength: 60, unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }),
);

describe('reliability: fuzzing every documented operation', () => {
  jest.setTimeout(300_000);
  const tally = newTally();
  const receiver = new Receiver();
  let t: TestApp;
  let app: AppLike;
  let a: Tenant;
  let b: Tenant;
  let doc: Json;

  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp({ env: { RATE_LIMIT_PER_KEY_PER_S: '1000000', RATE_LIMIT_PER_IP_PER_S: '1000000' } });
    app = { url: t.url, request: (method, path, opts) => send(t.url + path, method, opts) };
    a = await createTenant(app, t.db, 'fuzz-a', receiver.url);
    b = await createTenant(app, t.db, 'fuzz-b', receiver.url);
    const res = await app.request('GET', '/docs-json');
    expect(res.status).toBe(200);
    doc = res.json;
  });

  afterAll(async () => {
    tally.requests = sent.count;
    writeTally('fuzz', tally);
    await t?.close();
    await receiver.close();
  });

  function resolveRef(schema: Json | undefined): Json {
    if (!schema) return {};
    const ref = schema.$ref as string | undefined;
    if (!ref) return schema;
    return resolveRef((doc.components as Json & { schemas: Record<string, Json> }).schemas[ref.split('/').pop()!]);
  }

  function operations(): Operation[] {
    const out: Operation[] = [];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(ops)) {
        const security = (op.security as Record<string, unknown>[] | undefined)?.flatMap((s) => Object.keys(s))[0] as Operation['security'];
        const content = (op.requestBody as Json | undefined)?.content as Record<string, { schema: Json }> | undefined;
        out.push({
          method: method.toUpperCase(),
          path,
          security: security ?? null,
          params: ((op.parameters as Operation['params']) ?? []).map((p) => ({ ...p, schema: resolveRef(p.schema) })),
          body: content ? resolveRef(Object.values(content)[0]?.schema) : null,
          tags: (op.tags as string[]) ?? [],
        });
      }
    }
    return out;
  }

  /** Real ids to put in paths: the fuzzing merchant's own (so requests reach deep), another merchant's, and nonsense. */
  function idsFor(op: Operation, param: string): string[] {
    const p = op.path;
    if (param === 'provider') return Object.keys(KITS);
    if (param === 'transactionNumber')
      return [...a.orders, ...b.orders].filter((o) => /raksmeypay|ahnajak/.test(o.checkout_url)).map((o) => o.transaction.provider_reference);
    if (param === 'token' && p.startsWith('/qr/')) return [...a.qrTokens, ...b.qrTokens];
    if (param === 'merchantId' || (p.startsWith('/admin/merchants/') && param === 'id')) return [b.id, 'mer_00000000000000000000000000'];
    if (param === 'keyId') return b.apiKeyIds;
    // Each kind also gets a test-mode id of A's and of B's, so both keys of A meet both modes' objects.
    if (p.startsWith('/v1/api-keys/')) return [...a.apiKeyIds, a.test.apiKeyId, ...b.apiKeyIds.slice(0, 1), b.test.apiKeyId];
    if (p.includes('/transactions/')) return [...a.orders, ...b.orders].map((o) => o.transaction.id);
    if (p.includes('/events/')) return [...a.eventIds.slice(0, 5), ...b.eventIds.slice(0, 2), a.test.eventIds[0], b.test.eventIds[0]];
    if (p.includes('/webhook-endpoints/')) return [a.webhookEndpointId, b.webhookEndpointId, a.test.webhookEndpointId, b.test.webhookEndpointId];
    if (p.includes('/webhook-deliveries/')) return [...a.deliveryIds.slice(0, 3), ...b.deliveryIds.slice(0, 1), a.test.deliveryIds[0], b.test.deliveryIds[0]];
    if (p.startsWith('/v1/refunds/')) return [...a.refundIds, ...b.refundIds, ...a.test.refundIds, ...b.test.refundIds];
    if (p.startsWith('/v1/payment-links/')) return [a.test.paymentLinkId, b.test.paymentLinkId];
    return [...a.orders, ...b.orders].map((o) => o.id).concat(a.test.orderId, b.test.orderId);
  }

  /** A value for a schema: usually of the right shape (often valid), sometimes anything at all. */
  function valueFor(schema: Json, depth = 0): fc.Arbitrary<unknown> {
    const s = resolveRef(schema);
    const valid: fc.Arbitrary<unknown>[] = [];
    if (Array.isArray(s.enum)) valid.push(fc.constantFrom(...(s.enum as unknown[])));
    if (Array.isArray(s.oneOf)) valid.push(...(s.oneOf as Json[]).map((x) => valueFor(x, depth + 1)));
    if (s.example !== undefined) valid.push(fc.constant(s.example));
    switch (s.type) {
      case 'string':
        valid.push(fc.constantFrom('12.50', 'https://shop.example.com/x', 'a@example.com', 'INV-1', 'x'.repeat(Number(s.maxLength ?? 10) + 1)));
        break;
      case 'number':
      case 'integer':
        valid.push(fc.integer({ min: Number(s.minimum ?? -10), max: Number(s.maximum ?? 1000) }));
        break;
      case 'boolean':
        valid.push(fc.boolean());
        break;
      case 'array':
        valid.push(fc.array(s.items ? valueFor(s.items as Json, depth + 1) : nastyValue, { maxLength: 4 }));
        break;
      case 'object':
        if (depth < 3) valid.push(objectFor(s, depth + 1));
        break;
    }
    return valid.length ? fc.oneof({ weight: 3, arbitrary: fc.oneof(...valid) }, { weight: 1, arbitrary: nastyValue }) : nastyValue;
  }

  function objectFor(schema: Json, depth = 0): fc.Arbitrary<Json> {
    const props = (schema.properties as Record<string, Json> | undefined) ?? {};
    const required = new Set((schema.required as string[] | undefined) ?? []);
    const fields = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, valueFor(v, depth)]));
    const known = fc.record(fields, { requiredKeys: Object.keys(fields).filter((k) => required.has(k)) });
    // Sometimes a required field goes missing or an unknown one appears.
    return fc
      .tuple(
        known,
        fc.dictionary(
          fc.oneof(fc.constantFrom('__proto__', 'constructor', 'id', 'merchant_id', 'status', 'amount_minor'), fc.string({ maxLength: 12 })),
          nastyValue,
          { maxKeys: 2 },
        ),
        fc.nat(9),
      )
      .map(([k, extra, r]) => {
        const out: Json = { ...k };
        if (r === 0) Object.assign(out, extra);
        if (r === 1) delete out[[...required][0]];
        return out;
      });
  }

  function requestFor(op: Operation): fc.Arbitrary<FuzzRequest> {
    const pathParams = op.params.filter((p) => p.in === 'path');
    const queryParams = op.params.filter((p) => p.in === 'query');
    const pathArb = fc.tuple(
      ...pathParams.map((p) => {
        const real = idsFor(op, p.name).filter(Boolean);
        return fc.oneof(
          { weight: 5, arbitrary: real.length ? fc.constantFrom(...real) : nastyString },
          { weight: 3, arbitrary: nastyString.map(encode) },
          { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '..', '.', '%2e%2e', 'a%2Fb', '%00', '%C0%AF') },
        );
      }),
    );
    const queryArb = fc.tuple(
      fc
        .subarray(queryParams)
        .chain((chosen) =>
          fc.tuple(...chosen.map((p) => valueFor(p.schema).map((v) => [p.name, typeof v === 'string' ? v : (JSON.stringify(v) ?? '')] as [string, string]))),
        ),
      fc.array(fc.tuple(fc.oneof(fc.constantFrom('limit', 'starting_after', '__proto__', 'a[b]', 'status[]'), fc.string({ maxLength: 10 })), nastyString), {
        maxLength: 2,
      }),
    );
    const idempotency = op.params.some((p) => p.name === 'Idempotency-Key');
    const headersArb = fc.record(
      {
        'idempotency-key': idempotency ? headerValue : fc.constant(''),
        'x-request-id': headerValue,
        'x-ahnajak-signature': op.path.includes('ahnajak') ? headerValue : fc.constant(''),
        accept: fc.constantFrom('application/json', 'text/html', '*/*', 'application/xml', ''),
        'x-forwarded-for': fc.constantFrom('', '127.0.0.1', '10.0.0.1, 1.2.3.4', 'garbage'),
      },
      { requiredKeys: [] },
    );
    const hasBody = op.body !== null || op.method === 'POST' || op.method === 'PUT';
    const bodyArb: fc.Arbitrary<FuzzRequest['body']> = hasBody
      ? fc.oneof(
          { weight: 6, arbitrary: (op.body ? objectFor(op.body) : fc.constant({})).map((value) => ({ kind: 'json' as const, value })) },
          { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ kind: 'json' as const, value })) },
          {
            weight: 1,
            arbitrary: fc
              .tuple(
                fc.oneof(
                  fc.constantFrom('{', '{"a":', '[1,2', 'null', '""', '{"amount":12.50,}', '\u0000', 'provider=raksmeypay&amount=1'),
                  fc.string({ maxLength: 50 }),
                ),
                fc.constantFrom<string | null>(
                  'application/json',
                  'text/plain',
                  'application/x-www-form-urlencoded',
                  'application/json; charset=utf-16',
                  'multipart/form-data; boundary=x',
                  'garbage/garbage',
                  null,
                ),
              )
              .map(([text, contentType]) => ({ kind: 'raw' as const, text, contentType })),
          },
          { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
        )
      : fc.constant({ kind: 'none' as const });
    const authArb = op.security
      ? fc.constantFrom<FuzzRequest['auth']>(
          'valid',
          'valid',
          'valid',
          'valid',
          'valid',
          'valid',
          'valid_test',
          'valid_test',
          'valid_test',
          'none',
          'wrong',
          'other',
        )
      : fc.constantFrom<FuzzRequest['auth']>('none', 'none', 'valid', 'wrong');
    return fc
      .record({ pathValues: pathArb, query: queryArb, headers: headersArb, auth: authArb, body: bodyArb })
      .map(({ pathValues, query, headers, auth, body }) => {
        let path = op.path;
        pathParams.forEach((p, i) => (path = path.replace(`{${p.name}}`, String(pathValues[i]))));
        return { path, query: [...query[0], ...query[1]], headers: Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== '')), auth, body };
      });
  }

  const digest = async () =>
    (
      await t.db.query(`SELECT
        (SELECT count(*) FROM orders) AS orders, (SELECT coalesce(sum(event_seq), 0) FROM orders) AS seq, (SELECT max(updated_at) FROM orders) AS orders_at,
        (SELECT count(*) FROM transactions) AS txns, (SELECT count(*) FROM events) AS events,
        (SELECT count(*) FROM provider_accounts) AS accounts, (SELECT max(updated_at) FROM provider_accounts) AS accounts_at,
        (SELECT count(*) FROM webhook_endpoints) AS endpoints, (SELECT max(updated_at) FROM webhook_endpoints) AS endpoints_at,
        (SELECT count(*) FROM merchants) AS merchants, (SELECT max(updated_at) FROM merchants) AS merchants_at,
        (SELECT count(*) FROM api_keys) AS keys, (SELECT count(revoked_at) FROM api_keys) AS revoked,
        (SELECT count(*) FROM refunds) AS refunds, (SELECT coalesce(sum(refunded_minor), 0) FROM orders) AS refunded`)
    ).rows[0];

  it(`≥ ${TOTAL_REQUESTS} generated requests: no 5xx, no leak, rejected requests write nothing`, async () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(40);
    const perOp = Math.ceil(TOTAL_REQUESTS / ops.length);
    const violations: string[] = [];
    const byStatus: Record<string, number> = {};
    const secrets = [...a.secrets, ...b.secrets, TEST_ADMIN_TOKEN];
    const bIds = [b.id, ...b.orders.flatMap((o) => [o.id, o.transaction.id]), ...b.eventIds, b.webhookEndpointId, ...b.deliveryIds, ...testModeIds(b.test)];
    /** What each of A's keys must never reach: B's everything, and A's own objects of the other mode (a live key manages A's test keys, by design). */
    const aLiveIds = [
      ...a.orders.flatMap((o) => [o.id, o.transaction.id]),
      ...a.eventIds,
      a.webhookEndpointId,
      ...a.deliveryIds,
      ...a.refundIds,
      ...a.apiKeyIds,
    ];
    const unreachable = {
      valid: [...bIds, ...testModeIds(a.test).filter((id) => id !== a.test.apiKeyId)],
      valid_test: [...bIds, ...aLiveIds],
    };
    let sentHere = 0;
    let unsendable = 0;
    let checkedRejections = 0;

    const fire = async (op: Operation, r: FuzzRequest): Promise<TestResponse | null> => {
      const headers = { ...r.headers };
      const token =
        r.auth === 'valid' || r.auth === 'valid_test'
          ? op.security === 'admin'
            ? TEST_ADMIN_TOKEN
            : r.auth === 'valid'
              ? a.apiKey
              : a.testApiKey
          : r.auth === 'wrong'
            ? 'sk_wrong_0000000000000000'
            : r.auth === 'other'
              ? op.security === 'admin'
                ? a.apiKey
                : b.apiKey
              : undefined;
      const qs = r.query.length ? '?' + r.query.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&') : '';
      const opts: Parameters<typeof send>[2] = { headers, token, timeoutMs: 20_000 };
      if (r.body.kind === 'json') opts.body = r.body.value === undefined ? null : r.body.value;
      if (r.body.kind === 'raw') {
        opts.rawBody = r.body.text;
        if (r.body.contentType) headers['content-type'] = r.body.contentType;
      }
      try {
        sentHere++;
        return await send(`${t.url}${r.path}${qs}`, op.method, opts);
      } catch (err) {
        // The client refused to send it (an invalid URL or header): not a request, not counted.
        const code = (err as { cause?: { code?: string } }).cause?.code;
        if ((err instanceof TypeError && !/fetch failed/.test(err.message)) || code === 'UND_ERR_INVALID_ARG') {
          sentHere--;
          sent.count--;
          unsendable++;
          return null;
        }
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        violations.push(
          `${op.method} ${r.path}: no answer (${(err as Error).message}: ${cause?.code ?? ''} ${cause?.message ?? ''}) headers ${JSON.stringify(r.headers)} body ${JSON.stringify(r.body).slice(0, 120)}`,
        );
        return null;
      }
    };

    const judge = (op: Operation, r: FuzzRequest, res: TestResponse) => {
      byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
      const where = `${op.method} ${r.path} [${r.auth}] → ${res.status}`;
      if (res.status >= 500) {
        tally.bad_input_5xx++;
        violations.push(`${where}: ${res.text.slice(0, 120)} for body ${JSON.stringify(r.body).slice(0, 200)}`);
      }
      if (op.path !== '/docs-json' && LEAKS.test(res.text)) violations.push(`${where}: leaks internals: ${res.text.match(LEAKS)![0]}`);
      for (const secret of secrets) if (res.text.includes(secret)) violations.push(`${where}: returned a secret`);
      const isApi = /^\/(v1|admin|callbacks|sandbox\/control)\//.test(op.path);
      if (isApi && res.status >= 400 && !/^application\/problem\+json/.test(res.headers.get('content-type') ?? ''))
        violations.push(`${where}: error without problem+json (${res.headers.get('content-type')})`);
      // Authenticated as merchant A (either key), nothing of merchant B's, nor of A's other mode, may be reachable or shown.
      if (op.security === 'api_key' && (r.auth === 'valid' || r.auth === 'valid_test')) {
        const foreign = unreachable[r.auth].find((id) => r.path.includes(id) || res.text.includes(id));
        if (foreign && res.status < 400) {
          tally.cross_tenant_leaks++;
          violations.push(`${where}: merchant A's ${r.auth === 'valid' ? 'live' : 'test'} key reached ${foreign}`);
        }
      }
    };

    /** After an accepted request that reconfigured something the fuzz depends on, put it back. */
    const restore = async (op: Operation, r: FuzzRequest) => {
      if (op.path === '/v1/provider-accounts/{provider}') {
        const provider = r.path.split('/').pop()!;
        if (KITS[provider]) await KITS[provider].configure(app, a, `${provider}-secret-${a.id.slice(-12)}`);
      }
      if (op.path === '/sandbox/control/faults' && op.method === 'POST') await app.request('DELETE', '/sandbox/control/faults');
    };

    for (const op of ops) {
      const requests = fc.sample(requestFor(op), { numRuns: perOp, seed: SEED + ops.indexOf(op) });
      // Reads that cannot write go concurrently, checked as a batch; everything else one at a time, checked one by one.
      const writesNothing = op.method === 'GET' && !op.path.startsWith('/callbacks/');
      if (writesNothing) {
        const before = await digest();
        for (let i = 0; i < requests.length; i += GET_CONCURRENCY) {
          const batch = requests.slice(i, i + GET_CONCURRENCY);
          const answers = await Promise.all(batch.map((r) => fire(op, r)));
          answers.forEach((res, j) => res && judge(op, batch[j], res));
        }
        const after = await digest();
        if (JSON.stringify(after) !== JSON.stringify(before)) violations.push(`${op.method} ${op.path}: reads changed the database`);
        continue;
      }
      for (const r of requests) {
        const before = await digest();
        const res = await fire(op, r);
        if (!res) continue;
        judge(op, r, res);
        if (res.status >= 400) {
          checkedRejections++;
          const after = await digest();
          if (JSON.stringify(after) !== JSON.stringify(before)) {
            const changed = Object.keys(after).filter((k) => String(after[k]) !== String(before[k]));
            violations.push(
              `${op.method} ${r.path} [${r.auth}] → ${res.status} (${res.json?.code}) but wrote: ${changed.join(', ')}; body ${JSON.stringify(r.body).slice(0, 200)}`,
            );
          }
        } else {
          await restore(op, r);
        }
      }
    }
    tally.cases += ops.length;
    tally.notes.push(
      `seed ${SEED}; ${ops.length} operations × ${perOp}; ${sentHere} requests (${unsendable} unsendable by the client); ${checkedRejections} rejected writes checked; statuses ${JSON.stringify(byStatus)}`,
    );
    expect(violations.slice(0, 30)).toEqual([]);
    expect(sentHere).toBeGreaterThanOrEqual(10_000);
  });
});
