import { TokenBucket } from './token-bucket';

/**
 * A fake clock: a sleep wakes when time reaches its end; time jumps to the earliest pending
 * wake-up, one at a time, so the spec runs instantly and exactly, with callers waiting together.
 */
function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  const timers: { at: number; wake: () => void }[] = [];
  let driving = false;
  const step = () => {
    if (!timers.length) {
      driving = false;
      return;
    }
    timers.sort((a, b) => a.at - b.at);
    const next = timers.shift()!;
    now = Math.max(now, next.at);
    next.wake();
    setImmediate(step); // the woken caller runs before the next wake-up
  };
  return {
    now: () => now,
    sleep: (ms: number) =>
      new Promise<void>((wake) => {
        sleeps.push(ms);
        timers.push({ at: now + ms, wake });
        if (!driving) {
          driving = true;
          setImmediate(step);
        }
      }),
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

  it('take(maxWaitMs) answers false at once, using no token, when the slot is further away than that', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket(10, 1, time.now, time.sleep);
    expect(await bucket.take(0)).toBe(true);
    expect(await bucket.take(50)).toBe(false); // the next slot is 100 ms away
    expect(time.now()).toBe(0);
    expect(await bucket.take(100)).toBe(true); // the refused caller took nothing: this one gets the 100 ms slot
    expect(time.now()).toBe(100);
  });

  it('a pause longer than a caller may wait refuses it at once; one that starts while it waits refuses it when it is due', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket(10, 1, time.now, time.sleep);
    await bucket.take();
    const waiting = bucket.take(1_000); // its slot is at 100 ms
    bucket.pause(60_000);
    expect(await waiting).toBe(false);
    expect(time.now()).toBe(100);
    expect(await bucket.take(1_000)).toBe(false);
    expect(bucket.pausedForMs()).toBe(59_900);
    expect(time.now()).toBe(100);
  });

  it('never hands setTimeout a delay it cannot hold (a longer one fires after 1 ms: a busy loop)', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket(10, 1, time.now, time.sleep);
    bucket.pause(1e12);
    await bucket.take();
    expect(time.now()).toBe(1e12);
    expect(Math.max(...time.sleeps)).toBeLessThanOrEqual(2 ** 31 - 1);
  });
});
