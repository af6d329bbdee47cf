import type { BatchApi, BatchOutcome, BatchRequest, BatchStatus, CompletionResult } from '../core/model.js';
import { ProviderError } from '../core/model.js';
import type { BatchLedger, LedgerBatch } from './batch-ledger.js';
import { type RunControl, Stopped } from './control.js';
import type { AskRequest, DeliveredAnswer, Delivery } from './delivery.js';
import type { Job } from './plan.js';

export interface BatchSettings {
  api: BatchApi;
  ledger: BatchLedger;
  control: RunControl;
  /** The server and recorded model name, kept with each batch. */
  server: string;
  model: string;
  /** First wait between two status checks; it grows by half each time, up to 20 times the first. */
  pollMs: number;
  /** Fewer requests per batch than the provider allows (tests split with it). */
  maxRequests?: number;
  /** Submit, record, and return without waiting; a later run collects. */
  detach: boolean;
  /** Answers are stored (response cache) as soon as they are read, awaited or not. */
  store: (customId: string, result: CompletionResult, batch: string) => void;
  counts: { requests: number; batched: number };
  notice: (message: string) => void;
  onStatus: () => void;
}

interface Waiter {
  resolve: (a: DeliveredAnswer) => void;
  reject: (e: unknown) => void;
}

/** What a batch delivery has done, for progress lines and the summary. */
export interface BatchView {
  submitted: string[];
  /** Batches left at the provider when the run returned (detached, or stopped). */
  inFlight: string[];
  statuses: BatchStatus[];
}

/**
 * Requests gathered into the provider's batches. Every job runs at once; each request a job
 * asks waits. When no job can go on without an answer, the waiting requests become one batch
 * (split at the provider's limits), which is recorded in the ledger before it is polled. So
 * a multi-round experiment makes one batch per round, and a request already in a recorded
 * batch (a resumed run) waits for that batch instead of being sent again.
 */
export class BatchDelivery implements Delivery {
  readonly kind = 'batch' as const;
  private active = 0;
  private readonly pending = new Map<string, { req: AskRequest; waiters: Waiter[] }>();
  private readonly collecting = new Map<string, Map<string, Waiter[]>>();
  /** Outcomes read in this run, by batch: a request of a collected batch is answered from here. */
  private readonly read = new Map<string, Map<string, BatchOutcome>>();
  private readonly view: BatchView = { submitted: [], inFlight: [], statuses: [] };
  private readonly statuses = new Map<string, BatchStatus>();
  /** Collections under way: the run ends only when they have settled. */
  private readonly collections = new Set<Promise<void>>();
  /** Aborted at the user's stop or a hard one: the waits between status checks end. */
  private readonly halt: AbortSignal;

  constructor(private readonly s: BatchSettings) {
    this.halt = AbortSignal.any([s.control.stop.signal, s.control.draining.signal]);
    const stopAll = () => this.stopWaiters();
    s.control.draining.signal.addEventListener('abort', stopAll);
    s.control.stop.signal.addEventListener('abort', stopAll);
  }

  batches(): BatchView {
    return { ...this.view, statuses: [...this.statuses.values()] };
  }

  stopNotice(): string | null {
    const n = this.collecting.size;
    return n ? `stopping: ${n} batch(es) stay with the provider, recorded in ${this.s.ledger.file}; the same command collects them` : null;
  }

  async runAll(jobs: readonly Job[], work: (job: Job) => Promise<void>): Promise<void> {
    this.active += jobs.length;
    await Promise.all(
      jobs.map(async (job) => {
        try {
          await work(job);
        } finally {
          this.active--;
          this.flushIfIdle();
        }
      }),
    );
    // A collection still reading results when the jobs stopped finishes (its ledger entry
    // included) before the run releases the samples file's lock.
    while (this.collections.size) await Promise.allSettled([...this.collections]);
    for (const id of this.collecting.keys()) if (!this.view.inFlight.includes(id)) this.view.inFlight.push(id);
  }

  ask(req: AskRequest): Promise<DeliveredAnswer> {
    if (this.s.control.stopping()) return Promise.reject(new Stopped());
    const key = req.key;
    if (key === null) return Promise.reject(new Error('batch delivery needs a response-cache identity'));
    return new Promise<DeliveredAnswer>((resolve, reject) => {
      const waiter = { resolve, reject };
      this.active--;
      const held = this.s.ledger.holding(key);
      if (held) this.attach(held, key, waiter);
      else {
        const p = this.pending.get(key);
        if (p) p.waiters.push(waiter);
        else this.pending.set(key, { req, waiters: [waiter] });
      }
      this.flushIfIdle();
    });
  }

  /** A request some recorded batch holds: answered from what was read, or when that batch is collected. */
  private attach(batch: LedgerBatch, key: string, waiter: Waiter): void {
    const known = this.read.get(batch.id)?.get(key);
    if (known) {
      this.wake([waiter], this.answerOf(batch.id, key, known));
      return;
    }
    if (this.s.control.stopping()) {
      // The run is stopping (a batch submitted meanwhile stays recorded for the next run).
      if (!this.view.inFlight.includes(batch.id) && batch.state === 'submitted') this.view.inFlight.push(batch.id);
      this.active++;
      waiter.reject(new Stopped());
      return;
    }
    let waiting = this.collecting.get(batch.id);
    if (!waiting) {
      waiting = new Map();
      this.collecting.set(batch.id, waiting);
      const collecting = this.collect(batch.id).catch((e: unknown) => {
        this.leave(batch.id);
        this.s.control.fail(e);
      });
      this.collections.add(collecting);
      void collecting.finally(() => this.collections.delete(collecting));
    }
    const list = waiting.get(key);
    if (list) list.push(waiter);
    else waiting.set(key, [waiter]);
  }

  private wake(waiters: Waiter[], answer: DeliveredAnswer): void {
    // Counted before they resume, so the run is never seen idle between two rounds.
    this.active += waiters.length;
    for (const w of waiters) w.resolve(answer);
  }

  private answerOf(batchId: string, key: string, o: BatchOutcome | undefined): DeliveredAnswer {
    if (o?.result) return { result: o.result, cached: false, error: null, batch: batchId };
    return { result: null, cached: false, error: o?.error ?? `batch ${batchId}: no result for this request`, batch: batchId };
  }

  private stopWaiters(): void {
    const all: Waiter[] = [];
    for (const p of this.pending.values()) all.push(...p.waiters);
    this.pending.clear();
    for (const [id, waiting] of this.collecting) {
      for (const list of waiting.values()) all.push(...list);
      waiting.clear();
      if (!this.view.inFlight.includes(id)) this.view.inFlight.push(id);
    }
    this.active += all.length;
    for (const w of all) w.reject(new Stopped());
  }

  /** No job can go on: the waiting requests become this round's batch(es). */
  private flushIfIdle(): void {
    if (this.active > 0 || !this.pending.size || this.s.control.stopping()) return;
    const gathered = [...this.pending.entries()];
    this.pending.clear();
    void this.submitAll(gathered).catch((e: unknown) => {
      this.active += gathered.reduce((n, [, p]) => n + p.waiters.length, 0);
      for (const [, p] of gathered) for (const w of p.waiters) w.reject(new Stopped());
      if (!(e instanceof Stopped)) this.s.control.fail(e);
    });
  }

  private async submitAll(gathered: [string, { req: AskRequest; waiters: Waiter[] }][]): Promise<void> {
    const { api } = this.s;
    const maxRequests = Math.min(api.limits.requests, this.s.maxRequests ?? Infinity);
    let chunk: typeof gathered = [];
    let bytes = 0;
    const chunks: (typeof gathered)[] = [];
    for (const g of gathered) {
      const size = api.size(toBatchRequest(g[0], g[1].req));
      if (chunk.length && (chunk.length >= maxRequests || bytes + size > api.limits.bytes)) {
        chunks.push(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(g);
      bytes += size;
    }
    if (chunk.length) chunks.push(chunk);
    for (const c of chunks) {
      // Stopped between two chunks: the ones left are not created (their samples stay to do).
      if (this.s.control.stopping()) throw new Stopped();
      const id = await this.submitOne(c.map(([key, p]) => toBatchRequest(key, p.req)));
      const batch: LedgerBatch = {
        provider: api.provider,
        id,
        server: this.s.server,
        model: this.s.model,
        created_at: new Date().toISOString(),
        state: 'submitted',
        requests: c.map(([key, p]) => ({ custom_id: key, task_id: p.req.job.task.id, experiment: p.req.job.experiment, sample_index: p.req.job.sampleIndex })),
      };
      // Recorded before anything else happens to it: a kill from here on never pays twice.
      this.s.ledger.add(batch);
      this.view.submitted.push(id);
      this.s.counts.requests += c.length;
      this.s.counts.batched += c.length;
      this.s.notice(`submitted batch ${id} with ${c.length} request(s) to ${api.provider}; recorded in ${this.s.ledger.file}`);
      for (const [key, p] of c) for (const w of p.waiters) this.attach(batch, key, w);
    }
  }

  /** Create one batch; a server that refused it (429, 5xx) is asked again, a few times. */
  private async submitOne(reqs: BatchRequest[]): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.call((signal) => this.s.api.submit(reqs, signal));
      } catch (e) {
        const status = httpStatus(e);
        const refused = status !== undefined && (status === 429 || status >= 500);
        if (this.s.control.stopping()) throw new Stopped();
        if (!refused || attempt >= 3) throw new ProviderError(`${this.s.api.provider} batch create: ${messageOf(e)}`, true);
        await this.sleep(this.s.pollMs * 2 ** attempt);
      }
    }
  }

  /**
   * One provider call with its own signal, aborted by a hard stop: the SDKs leave their abort
   * listener on the signal they are given, and a day of polling would pile them up on one.
   */
  private async call<T>(f: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const own = new AbortController();
    const stop = this.s.control.stop.signal;
    const onStop = () => own.abort();
    if (stop.aborted) own.abort();
    stop.addEventListener('abort', onStop);
    try {
      return await f(own.signal);
    } finally {
      stop.removeEventListener('abort', onStop);
    }
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.halt;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }

  /** Poll one batch (backing off) until it ends, then read its results and wake its waiters. */
  private async collect(id: string): Promise<void> {
    const { api, control } = this.s;
    let wait = this.s.pollMs;
    let status: BatchStatus;
    let failures = 0;
    for (;;) {
      if (control.stopping()) return this.leave(id);
      try {
        status = await this.call((signal) => api.status(id, signal));
        failures = 0;
      } catch (e) {
        if (control.stopping()) return this.leave(id);
        const s = httpStatus(e);
        // A batch that is gone, or a key that no longer works, will not come back by waiting.
        if (s !== undefined && s < 500 && s !== 408 && s !== 409 && s !== 429) throw new ProviderError(`${api.provider} batch ${id}: ${messageOf(e)}`, true);
        if (++failures === 1) this.s.notice(`batch ${id}: status check failed (${messageOf(e)}); trying again`);
        await this.sleep(wait);
        wait = Math.min(wait * 1.5, this.s.pollMs * 20);
        continue;
      }
      this.statuses.set(id, status);
      this.s.onStatus();
      if (status.state !== 'in_progress') break;
      if (this.s.detach) {
        this.leave(id);
        return;
      }
      await this.sleep(wait);
      wait = Math.min(wait * 1.5, this.s.pollMs * 20);
    }
    const outcomes = await this.resultsOf(status, wait);
    if (!outcomes) return this.leave(id);
    const byKey = new Map<string, BatchOutcome>();
    for (const o of outcomes) {
      if (!o.customId) continue;
      byKey.set(o.customId, o);
      if (o.result) this.s.store(o.customId, o.result, id);
    }
    this.read.set(id, byKey);
    const keys = this.s.ledger.requestsOf(id);
    const errored = keys.filter((k) => !byKey.get(k)?.result);
    this.s.ledger.collected(id, status.state, errored);
    if (status.state !== 'ended') {
      const why = status.message ? ` (${status.message})` : '';
      this.s.notice(
        `batch ${id} ${status.state}${why}: ${keys.length - errored.length} answer(s) kept, ${errored.length} request(s) become failed samples (--retry-errors makes them again)`,
      );
    }
    const waiting = this.collecting.get(id);
    this.collecting.delete(id);
    for (const [key, list] of waiting ?? []) this.wake(list, this.answerOf(id, key, byKey.get(key)));
  }

  /** The results of an ended batch; a network error or a 5xx is tried again. Null when the run stops meanwhile. */
  private async resultsOf(status: BatchStatus, wait: number): Promise<BatchOutcome[] | null> {
    const { api, control } = this.s;
    for (let attempt = 0; ; attempt++) {
      if (control.stopping()) return null;
      try {
        return await this.call((signal) => api.results(status, signal));
      } catch (e) {
        if (control.stopping()) return null;
        const s = httpStatus(e);
        if ((s !== undefined && s < 500 && s !== 408 && s !== 429) || attempt >= 5) throw new ProviderError(`${api.provider} batch ${status.id} results: ${messageOf(e)}`, true);
        this.s.notice(`batch ${status.id}: reading its results failed (${messageOf(e)}); trying again`);
        await this.sleep(wait * 2 ** attempt);
      }
    }
  }

  /** Detached: the batch stays with the provider, its requests' jobs stop here. */
  private leave(id: string): void {
    const waiting = this.collecting.get(id);
    this.collecting.delete(id);
    if (!this.view.inFlight.includes(id)) this.view.inFlight.push(id);
    const all = [...(waiting?.values() ?? [])].flat();
    this.active += all.length;
    for (const w of all) w.reject(new Stopped());
  }
}

function toBatchRequest(customId: string, req: AskRequest): BatchRequest {
  return { customId, prompt: req.prompt, params: req.params, sampleIndex: req.job.sampleIndex };
}

function httpStatus(e: unknown): number | undefined {
  const s = (e as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : undefined;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
