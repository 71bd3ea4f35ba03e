import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * Time-sortable ids ("ord_01j…"): 10 characters of millisecond timestamp then 16 random,
 * so ordering by id is ordering by creation, which keeps cursor pagination simple.
 */
export function newId(prefix: string, now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomPool();
  let rand = '';
  for (let i = 0; i < 16; i++) rand += CROCKFORD[bytes[poolOffset + i] % 32];
  poolOffset += 16;
  return `${prefix}_${time}${rand}`;
}

/** Random bytes fetched 4 KiB at a time (as crypto.randomUUID does): one CSPRNG call per 256 ids instead of one per id. */
const POOL_SIZE = 4096;
let pool: Buffer | null = null;
let poolOffset = POOL_SIZE;
function randomPool(): Buffer {
  if (!pool || poolOffset + 16 > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  return pool;
}

export const ID_PATTERN = /^[a-z]{2,5}_[0-9a-z]{26}$/;
export function looksLikeId(prefix: string, value: string): boolean {
  return ID_PATTERN.test(value) && value.startsWith(`${prefix}_`);
}
