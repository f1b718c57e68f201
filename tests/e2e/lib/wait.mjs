// Polling with a deadline: every "wait until" in these tests goes through
// here, so no test sleeps for a fixed time where a condition can be awaited.

/** Multiplies every deadline (e.g. E2E_TIME_SCALE=2 on a very slow machine). */
export const TIME_SCALE = Math.max(1, Number(process.env.E2E_TIME_SCALE) || 1);

/** Deadlines are generous: CI has two loaded cores. */
export const DEFAULT_TIMEOUT_MS = 30_000 * TIME_SCALE;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `probe` until it returns a truthy value (which is returned) or the
 * deadline passes (then throws, naming `what` and the last value seen).
 * Errors thrown by `probe` count as "not yet" and are reported at the end.
 */
export async function waitFor(probe, { timeout = DEFAULT_TIMEOUT_MS, interval = 100, what = "condition" } = {}) {
  const deadline = Date.now() + timeout * (timeout === DEFAULT_TIMEOUT_MS ? 1 : TIME_SCALE);
  let last;
  let lastError;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (last) return last;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const seen = lastError ? `last error: ${lastError.message ?? lastError}` : `last value: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeout} ms waiting for ${what} (${seen})`);
    }
    await sleep(interval);
  }
}

/** Scales a timeout given in ms by E2E_TIME_SCALE. */
export const scaled = (ms) => ms * TIME_SCALE;
