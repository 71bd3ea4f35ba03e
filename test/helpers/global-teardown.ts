import { printReliabilitySummary } from '../reliability/support/summary';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __khqrTestDb?: { stop(): Promise<void> } }).__khqrTestDb?.stop();
  // The reliability suite's tallies of this run, when it ran (test/reliability).
  printReliabilitySummary();
}
