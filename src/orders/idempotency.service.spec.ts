import { sha256Hex } from '../common/crypto';
import { ProblemException } from '../common/problem';
import { IdempotencyKeyRow, IdempotencyKeysRepository } from './idempotency-keys.repository';
import { canonicalJson, IdempotencyService } from './idempotency.service';

const SCOPE = { merchantId: 'mer_1', livemode: true };

const BODY = { amount: '12.50', reference: 'A-1' };
const HASH = sha256Hex(canonicalJson(BODY));
const row = (over: Partial<IdempotencyKeyRow> = {}): IdempotencyKeyRow => ({
  request_hash: HASH,
  state: 'in_flight',
  response_status: 0,
  response_body: null,
  lock_expired: false,
  ...over,
});

function setup() {
  const keys = { reserve: jest.fn(async () => false), find: jest.fn(), takeOverExpiredLock: jest.fn(async () => false) };
  return { keys, service: new IdempotencyService(keys as unknown as IdempotencyKeysRepository) };
}

async function problemOf(promise: Promise<unknown>): Promise<ProblemException> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProblemException);
  return err as ProblemException;
}

describe('IdempotencyService (mocked repository)', () => {
  it('proceeds with a new key, locked for LOCK_SECONDS', async () => {
    const { service, keys } = setup();
    keys.reserve.mockResolvedValue(true);
    await expect(service.start(SCOPE, 'k1', BODY)).resolves.toEqual({ kind: 'proceed' });
    expect(keys.reserve).toHaveBeenCalledWith(SCOPE, 'k1', HASH, IdempotencyService.LOCK_SECONDS);
    expect(keys.find).not.toHaveBeenCalled();
  });

  it('replays the first response for the same key and body, whatever the key order of the body', async () => {
    const { service, keys } = setup();
    keys.find.mockResolvedValue(row({ state: 'done', response_status: 201, response_body: { id: 'ord_1' } }));
    await expect(service.start(SCOPE, 'k1', { reference: 'A-1', amount: '12.50' })).resolves.toEqual({ kind: 'replay', status: 201, body: { id: 'ord_1' } });
  });

  it('answers 422 for the same key with another body, even once the first is done', async () => {
    const { service, keys } = setup();
    keys.find.mockResolvedValue(row({ state: 'done', response_status: 201 }));
    const problem = await problemOf(service.start(SCOPE, 'k1', { ...BODY, amount: '99.00' }));
    expect(problem.status).toBe(422);
    expect(problem.code).toBe('idempotency_key_reused');
  });

  it('answers 409 with Retry-After while the first request is still running', async () => {
    const { service, keys } = setup();
    keys.find.mockResolvedValue(row());
    const problem = await problemOf(service.start(SCOPE, 'k1', BODY));
    expect(problem.status).toBe(409);
    expect(problem.code).toBe('idempotency_in_flight');
    expect(problem.extra.headers).toEqual({ 'Retry-After': '1' });
    expect(keys.takeOverExpiredLock).not.toHaveBeenCalled();
  });

  it('takes over a key whose first request crashed (lock expired); 409 when another retry took it first', async () => {
    const { service, keys } = setup();
    keys.find.mockResolvedValue(row({ lock_expired: true }));
    keys.takeOverExpiredLock.mockResolvedValueOnce(true);
    await expect(service.start(SCOPE, 'k1', BODY)).resolves.toEqual({ kind: 'proceed' });
    expect(keys.takeOverExpiredLock).toHaveBeenCalledWith(SCOPE, 'k1', IdempotencyService.LOCK_SECONDS);
    expect((await problemOf(service.start(SCOPE, 'k1', BODY))).code).toBe('idempotency_in_flight');
  });

  it('tries again from the start when the key was deleted between the insert and the read', async () => {
    const { service, keys } = setup();
    keys.find.mockResolvedValueOnce(null);
    keys.reserve.mockResolvedValueOnce(false).mockResolvedValueOnce(true);
    await expect(service.start(SCOPE, 'k1', BODY)).resolves.toEqual({ kind: 'proceed' });
    expect(keys.reserve).toHaveBeenCalledTimes(2);
  });
});
