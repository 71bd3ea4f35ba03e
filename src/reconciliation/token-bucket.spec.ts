import { TokenBucket } from './token-bucket';

/** A fake clock: sleeping advances time, so the spec runs instantly and exactly. */
function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
    advance: (ms: number) => (now += ms),
  };
}

describe('TokenBucket (calls-per-second budget)', () => {
  it('lets a burst through, then spaces calls at the rate', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket(10, 2, time.now, time.sleep);
    const starts: number[] = [];
    for (let i = 0; i < 6; i++) {
      await bucket.take();
      starts.push(time.now());
    }
    expect(starts).toEqual([0, 0, 100, 200, 300, 400]);
  });

  it('never exceeds rate + burst calls in any one-second window', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket(20, 2, time.now, time.sleep);
    const starts: number[] = [];
    await Promise.all(Array.from({ length: 100 }, () => bucket.take().then(() => starts.push(time.now()))));
    for (const s of starts) expect(starts.filter((x) => x >= s && x < s + 1000).length).toBeLessThanOrEqual(22);
    expect(Math.max(...starts)).toBeGreaterThanOrEqual(4000);
  });

  it('pause() holds every caller (a 429 from the gateway)', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket(100, 5, time.now, time.sleep);
    await bucket.take();
    bucket.pause(1500);
    await bucket.take();
    expect(time.now()).toBe(1500);
  });

  it('refills while idle, up to the burst', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket(10, 3, time.now, time.sleep);
    for (let i = 0; i < 3; i++) await bucket.take();
    time.advance(10_000);
    const before = time.now();
    for (let i = 0; i < 3; i++) await bucket.take();
    expect(time.now()).toBe(before);
    await bucket.take();
    expect(time.now()).toBe(before + 100);
  });
});
