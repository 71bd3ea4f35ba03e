export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __khqrTestDb?: { stop(): Promise<void> } }).__khqrTestDb?.stop();
}
