/**
 * Waiting without a loop in the notebook: resolves once `check` says done, rejects with `failed` as soon as that
 * says something went wrong, and with `timeout` once the time is up. Polls: what it waits on (a stream's
 * positions, a window's counts) moves in the background, and a tenth of a second is quicker than a person notices.
 */
const POLL_MS = 100;

export interface WaitSpec<T> {
  /** The value to resolve with once done; undefined while not yet. */
  check(): T | undefined;
  /** An error to reject with (the stream stopped or failed); undefined while all is well. */
  failed?(): Error | undefined;
  timeoutMs: number;
  /** The error for a timeout, built when it happens (so it can say how far things got). */
  timeout(): Error;
}

export function waitFor<T>(spec: WaitSpec<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const deadline = Date.now() + spec.timeoutMs;
    const step = () => {
      let done: T | undefined;
      let failure: Error | undefined;
      try {
        done = spec.check();
        failure = done === undefined ? spec.failed?.() : undefined;
      } catch (e) {
        failure = e as Error;
      }
      if (done !== undefined) return resolve(done);
      if (failure) return reject(failure);
      if (Date.now() >= deadline) return reject(spec.timeout());
      setTimeout(step, POLL_MS);
    };
    step();
  });
}
