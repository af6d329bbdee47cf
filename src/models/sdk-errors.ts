import { ProviderError } from './provider.js';

type ErrorClass = abstract new (...args: never[]) => Error;

/** The error classes both official SDKs export under the same names. */
export interface SdkErrorClasses {
  APIError: ErrorClass;
  APIConnectionError: ErrorClass;
  APIConnectionTimeoutError: ErrorClass;
  APIUserAbortError: ErrorClass;
}

/** Statuses that no retry or other prompt will fix: the key, the permission or the model is wrong. */
const FATAL_STATUSES = new Set([401, 403, 404]);

/**
 * Turn an SDK error (thrown after the SDK's own retries ran out) into a ProviderError.
 * Aborts pass through unchanged so the caller can tell an interruption from a failure.
 */
export function toProviderError(e: unknown, where: string, classes: SdkErrorClasses, timeoutMs: number): unknown {
  if (e instanceof classes.APIUserAbortError) return e;
  if (e instanceof classes.APIConnectionTimeoutError) {
    return new ProviderError(`${where}: no answer within ${Math.round(timeoutMs / 1000)} s (--request-timeout), retries exhausted`, false);
  }
  if (e instanceof classes.APIConnectionError) {
    const cause = (e as Error & { cause?: unknown }).cause;
    const why = cause instanceof Error ? `: ${cause.message}` : '';
    return new ProviderError(`${where}: cannot reach the server${why}`, true);
  }
  if (e instanceof classes.APIError) {
    const status = (e as Error & { status?: unknown }).status;
    const msg = oneLine(e.message);
    if (typeof status === 'number' && FATAL_STATUSES.has(status)) return new ProviderError(`${where}: ${msg}`, true);
    return new ProviderError(`${where}: ${msg}`, false);
  }
  return e;
}

export function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}
