import { ProviderError } from '../core/model.js';
import { AttemptError, type AttemptFailure, type Retrier, retryAfterMs } from './retry.js';
import { InvalidAnswerError } from './validate-response.js';

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
/** Statuses that mean "too much, slow down": the concurrency limiter is cut. */
const PUSHBACK_STATUSES = new Set([408, 429, 503, 504, 529]);
/** Connection errors that mean nothing listens there (as opposed to a connection cut short). */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

export interface AttemptContext {
  /** The --model spec, first in every message. */
  spec: string;
  /** The server's base URL, named when the server itself misbehaved. */
  server: string;
  timeoutMs: number;
  /** Our whole-request deadline fired (headers and body). */
  deadlineFired: boolean;
  /** The caller aborted (Ctrl-C, or another request's fatal error). */
  callerAborted: boolean;
  expectsV1?: boolean;
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** TLS verdicts on the server's certificate: the same on every attempt. */
const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/**
 * A request the client itself will never make (a port fetch blocks, a malformed URL, a
 * certificate it rejects, a name that does not exist) fails the same way on every attempt:
 * the run stops at once in one line instead of retrying for the whole budget.
 */
function clientRefusal(code: string | undefined, message: string): string | null {
  if (message === 'bad port') return 'the port is one that fetch never connects to ("bad port"; e.g. 9, 25, 6000)';
  if (code === 'ERR_INVALID_URL' || /^invalid url/i.test(message)) return `invalid URL (${oneLine(message)})`;
  if (code && TLS_CODES.has(code)) return `TLS: ${oneLine(message)} (${code})`;
  if (code === 'ENOTFOUND') return `no such host name (${oneLine(message)})`;
  return null;
}

/** The innermost error code in a cause chain (undici hides the socket's code a level or two down). */
function causeCode(e: unknown): { code: string | undefined; message: string } {
  let code: string | undefined;
  let message = '';
  let cur: unknown = e;
  for (let depth = 0; cur instanceof Error && depth < 6; depth++) {
    const c = (cur as Error & { code?: unknown }).code;
    if (typeof c === 'string') code = c;
    if (cur.message) message = cur.message;
    cur = (cur as Error & { cause?: unknown }).cause;
  }
  return { code, message };
}

function headerGetter(headers: unknown): (name: string) => string | null {
  if (headers && typeof (headers as Headers).get === 'function') return (n) => (headers as Headers).get(n);
  if (headers && typeof headers === 'object') {
    const rec = headers as Record<string, unknown>;
    return (n) => (typeof rec[n] === 'string' ? rec[n] : null);
  }
  return () => null;
}

/**
 * Classify what one attempt threw. Returns null for what is not a request failure: an abort
 * (the caller stops) or a bug, which the caller rethrows as it is.
 */
export function classifyAttemptError(e: unknown, ctx: AttemptContext, classes: SdkErrorClasses): AttemptFailure | null {
  if (ctx.callerAborted) return null;
  const { spec, server } = ctx;
  if (ctx.deadlineFired || e instanceof classes.APIConnectionTimeoutError) {
    return {
      kind: 'transient',
      cause: 'timeout',
      pushback: true,
      message: `${spec}: ${server} sent no complete answer within ${seconds(ctx.timeoutMs)} (--request-timeout)`,
    };
  }
  if (e instanceof classes.APIUserAbortError) return null;
  if (e instanceof InvalidAnswerError) {
    return e.retryable
      ? { kind: 'transient', cause: 'invalid-answer', pushback: false, message: `${spec}: ${server} ${e.message}` }
      : { kind: 'final', message: `${spec}: ${server} ${e.message}` };
  }
  if (e instanceof ProviderError) return e.fatal ? { kind: 'fatal', message: e.message } : { kind: 'final', message: e.message };
  if (e instanceof classes.APIConnectionError) {
    const { code, message } = causeCode(e);
    const refusal = clientRefusal(code, message);
    if (refusal) return { kind: 'fatal', message: `${spec}: the client refuses ${server}: ${refusal} (not retried: trying again cannot change it)` };
    if (code && UNREACHABLE_CODES.has(code)) {
      return { kind: 'transient', cause: 'refused', pushback: false, message: `${spec}: cannot reach the server at ${server}: ${oneLine(message)}` };
    }
    return {
      kind: 'transient',
      cause: 'reset',
      pushback: false,
      message: `${spec}: connection to ${server} failed: ${oneLine(message || e.message)}${code ? ` (${code})` : ''}`,
    };
  }
  if (e instanceof classes.APIError) {
    const { status, headers } = e as Error & { status?: unknown; headers?: unknown };
    const v1 = status === 404 && ctx.expectsV1 && !/\/v1\/?$/.test(server) ? ` (the base URL ${server} does not end in /v1, where OpenAI-style servers answer: try --base-url ${server.replace(/\/+$/, '')}/v1)` : '';
    const msg = `${spec}: ${oneLine(e.message)}${v1}`;
    if (typeof status !== 'number') return { kind: 'final', message: msg };
    if (FATAL_STATUSES.has(status)) return { kind: 'fatal', message: msg };
    const get = headerGetter(headers);
    // The APIs' own "x-should-retry" overrides the status, as the SDKs do.
    const should = get('x-should-retry');
    const transient = should === 'true' || (should !== 'false' && (status === 408 || status === 409 || status === 429 || status >= 500));
    if (!transient) return { kind: 'final', message: msg };
    const after = retryAfterMs(get);
    return {
      kind: 'transient',
      cause: 'status',
      pushback: PUSHBACK_STATUSES.has(status),
      message: msg,
      ...(after !== undefined ? { retryAfterMs: after } : {}),
    };
  }
  // The body of a 200 that is not JSON although the headers said so.
  if (e instanceof SyntaxError) {
    return { kind: 'transient', cause: 'invalid-answer', pushback: false, message: `${spec}: ${server} answered invalid JSON (${oneLine(e.message)})` };
  }
  // The connection dropped while the body was read (undici: TypeError "terminated").
  if (e instanceof TypeError) {
    const { code, message } = causeCode(e);
    if (e.message === 'terminated' || (code && (code.startsWith('UND_ERR') || code === 'ECONNRESET' || code === 'EPIPE'))) {
      return {
        kind: 'transient',
        cause: 'reset',
        pushback: false,
        message: `${spec}: ${server} closed the connection in the middle of its answer (${oneLine(message)}${code ? `, ${code}` : ''})`,
      };
    }
  }
  return null;
}

export function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}

export interface AttemptSettings {
  spec: string;
  server: string;
  timeoutMs: number;
  classes: SdkErrorClasses;
  /** The caller's signal: aborting it abandons the attempt (and is not a failure). */
  signal?: AbortSignal;
  /** OpenAI-style servers answer under /v1: a 404 from a base URL without it gets a hint. */
  expectsV1?: boolean;
}

/**
 * One attempt under a whole-request deadline. The SDKs' own `timeout` covers only the wait
 * for the response headers (their timer is cleared once fetch resolves), so a server that
 * sends headers and then stalls would hold the request forever; the deadline here aborts the
 * body read as well. Failures are thrown as AttemptError; aborts and bugs as they are.
 */
export async function attemptWithDeadline<T>(call: (signal: AbortSignal) => Promise<T>, s: AttemptSettings): Promise<T> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error('request deadline')), s.timeoutMs);
  const signal = s.signal ? AbortSignal.any([s.signal, deadline.signal]) : deadline.signal;
  try {
    return await call(signal);
  } catch (e) {
    const failure = classifyAttemptError(
      e,
      {
        spec: s.spec,
        server: s.server,
        timeoutMs: s.timeoutMs,
        deadlineFired: deadline.signal.aborted,
        callerAborted: s.signal?.aborted ?? false,
        ...(s.expectsV1 ? { expectsV1: true } : {}),
      },
      s.classes,
    );
    if (failure) throw new AttemptError(failure);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** One request under the retry policy, each attempt under the whole-request deadline. */
export function requestWithRetry<T>(
  retrier: Retrier,
  where: Omit<AttemptSettings, 'signal'>,
  call: (signal: AbortSignal) => Promise<T>,
  signal: AbortSignal | undefined,
): Promise<{ value: T; latencyMs: number }> {
  return retrier.run(async () => {
    const started = performance.now();
    const value = await attemptWithDeadline(call, { ...where, ...(signal ? { signal } : {}) });
    return { value, latencyMs: Math.round(performance.now() - started) };
  }, signal);
}
