import { SchedulerRegistry } from '@nestjs/schedule';
import { Logger } from '@nestjs/common';
import { AppConfig } from '../config/config';
import { BackgroundLoops } from './background-loops';
import { Heartbeats } from './heartbeats';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function registry(backgroundJobs = true) {
  const heartbeats = new Heartbeats();
  return { heartbeats, loops: new BackgroundLoops({ backgroundJobs } as AppConfig, heartbeats, new SchedulerRegistry()) };
}

describe('BackgroundLoops', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(true));

  it('starts nothing when BACKGROUND_JOBS is off', async () => {
    const { loops, heartbeats } = registry(false);
    const run = jest.fn(async () => undefined);
    expect(loops.add({ name: 'off', intervalMs: 10, run })).toBe(false);
    await sleep(50);
    expect(run).not.toHaveBeenCalled();
    expect(heartbeats.status()).toEqual([]);
    expect(loops.names()).toEqual([]);
  });

  it('runs a periodic loop without stacking iterations and beats after each', async () => {
    const { loops, heartbeats } = registry();
    let active = 0;
    let most = 0;
    const run = jest.fn(async () => {
      most = Math.max(most, ++active);
      await sleep(15);
      active--;
    });
    loops.add({ name: 'tick', intervalMs: 10, run });
    // Fresh from the start, before any beat.
    expect(heartbeats.status()).toEqual([{ name: 'tick', fresh: true, lastBeatAt: null }]);
    await sleep(120);
    await loops.stopAll();
    expect(run.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(most).toBe(1);
    expect(heartbeats.status()).toEqual([]);
  });

  it('goes stale when an iteration keeps failing, and fresh again when one succeeds', async () => {
    const { loops, heartbeats } = registry();
    let fail = true;
    loops.add({
      name: 'flaky',
      intervalMs: 10,
      run: async () => {
        if (fail) throw new Error('down');
      },
    });
    await sleep(60);
    expect(heartbeats.status()[0]).toMatchObject({ fresh: false, lastBeatAt: null });
    fail = false;
    await sleep(40);
    expect(heartbeats.status()[0].lastBeatAt).not.toBeNull();
    await loops.stopAll();
  });

  it('a long iteration beats through the callback it gets', async () => {
    const { loops, heartbeats } = registry();
    let release!: () => void;
    loops.add({
      name: 'long',
      intervalMs: 5,
      run: (beat) =>
        new Promise<void>((r) => {
          beat();
          release = r;
        }),
    });
    await sleep(20);
    expect(heartbeats.status()[0].lastBeatAt).not.toBeNull();
    release();
    await loops.stopAll();
  });

  it('shutdown starts no new iteration and waits for the running one', async () => {
    const { loops } = registry();
    const events: string[] = [];
    loops.add({
      name: 'slow',
      intervalMs: 5,
      run: async () => {
        events.push('start');
        await sleep(80);
        events.push('end');
      },
    });
    await sleep(20); // the first iteration is running
    loops.halt();
    await loops.stopAll();
    events.push('stopped');
    await sleep(30);
    expect(events).toEqual(['start', 'end', 'stopped']);
  });

  it('asks a continuous loop to stop, waits for it, and gives up after the bound', async () => {
    const { loops } = registry();
    let stopping = false;
    const done = jest.fn();
    loops.add({
      name: 'continuous',
      intervalMs: 1000,
      continuous: true,
      run: async (beat) => {
        while (!stopping) {
          beat();
          await sleep(5);
        }
        done();
      },
      stop: () => (stopping = true),
    });
    await sleep(20);
    await loops.stop('continuous');
    expect(done).toHaveBeenCalledTimes(1);

    loops.add({ name: 'stuck', intervalMs: 5, run: () => new Promise(() => undefined) });
    await sleep(20);
    const started = Date.now();
    await loops.stopAll(50);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('starts nothing once shutdown has begun', () => {
    const { loops } = registry();
    loops.halt();
    expect(loops.add({ name: 'late', intervalMs: 10, run: async () => undefined })).toBe(false);
  });
});
