/** Polls `fn` every 100 ms until it resolves true; throws after `timeoutMs`. A rejection counts as not yet. */
export async function waitFor(fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out');
}
