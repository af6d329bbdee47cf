import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Fake batch servers on 127.0.0.1: OpenAI's Files + Batches (and chat completions, so the
 * same answers can be asked one by one), Anthropic's Message Batches (and Messages). What a
 * request is answered is `answer`'s; how each batch goes (status checks still in progress,
 * then completed / failed / expired / cancelled, requests left unanswered) is `plan`'s.
 */
export type FakeAnswer = { text: string } | { error: string };

export interface BatchPlan {
  /** Status checks that still say "in progress" before the batch ends. Default 1. */
  polls?: number;
  end?: 'completed' | 'failed' | 'expired' | 'cancelled';
  /** Requests the batch never answers (it expired or was cancelled before them). */
  unanswered?: (customId: string, index: number) => boolean;
  /** The first status checks answered 503 (a provider hiccup), and the first result reads. */
  failChecks?: number;
  failReads?: number;
}

export interface FakeBatchOptions {
  answer: (body: Record<string, unknown>, customId: string | null) => FakeAnswer;
  plan?: (batchIndex: number) => BatchPlan;
}

interface FakeBatch {
  id: string;
  index: number;
  requests: { customId: string; body: Record<string, unknown> }[];
  plan: BatchPlan;
  checks: number;
  failedChecks: number;
  failedReads: number;
}

export interface FakeBatchServer {
  baseURL: string;
  batches: FakeBatch[];
  /** Single requests (not through a batch) the server answered. */
  single: Record<string, unknown>[];
  /** Every request line, method and path. */
  log: string[];
  close(): Promise<void>;
}

function lastUser(body: Record<string, unknown>): string {
  const messages = body.messages as { role: string; content: string }[] | undefined;
  if (Array.isArray(messages)) return messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
  return typeof body.prompt === 'string' ? body.prompt : '';
}
export { lastUser as userTextOf };

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The file part of a multipart upload (the Files API's `file` field). */
function multipartFile(raw: Buffer, contentType: string): string {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  const b = `--${boundary?.[1] ?? boundary?.[2] ?? ''}`;
  for (const part of raw.toString('utf8').split(b)) {
    if (!/name="file"/.test(part)) continue;
    const start = part.indexOf('\r\n\r\n');
    return part.slice(start + 4).replace(/\r\n$/, '');
  }
  throw new Error('no file part');
}

function openaiChat(body: Record<string, unknown>, a: { text: string }) {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 0,
    model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', content: a.text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: Math.ceil(lastUser(body).length / 4), completion_tokens: Math.ceil(a.text.length / 4) },
  };
}

function anthropicMessage(body: Record<string, unknown>, a: { text: string }) {
  return {
    id: 'msg_fake',
    type: 'message',
    role: 'assistant',
    model: body.model,
    content: [{ type: 'text', text: a.text }],
    stop_reason: 'end_turn',
    usage: { input_tokens: Math.ceil(lastUser(body).length / 4), output_tokens: Math.ceil(a.text.length / 4) },
  };
}

export async function startFakeBatchServer(kind: 'openai' | 'anthropic', opts: FakeBatchOptions): Promise<FakeBatchServer> {
  const batches: FakeBatch[] = [];
  const files = new Map<string, string>();
  const single: Record<string, unknown>[] = [];
  const log: string[] = [];
  let base = '';

  const ended = (b: FakeBatch) => b.checks > (b.plan.polls ?? 1);
  const answered = (b: FakeBatch) =>
    b.requests.map((r, i) => ({ r, a: b.plan.end === 'failed' || b.plan.unanswered?.(r.customId, i) ? null : opts.answer(r.body, r.customId) }));

  function openaiBatch(b: FakeBatch) {
    const done = ended(b);
    const rows = answered(b);
    const ok = rows.filter((x) => x.a && 'text' in x.a).length;
    const end = b.plan.end ?? 'completed';
    return {
      id: b.id,
      object: 'batch',
      endpoint: '/v1/chat/completions',
      input_file_id: `file-in-${b.index}`,
      completion_window: '24h',
      status: done ? end : b.checks === 0 ? 'validating' : 'in_progress',
      created_at: 0,
      output_file_id: done && end !== 'failed' ? `file-out-${b.index}` : null,
      error_file_id: done && end !== 'failed' ? `file-err-${b.index}` : null,
      errors: end === 'failed' && done ? { object: 'list', data: [{ code: 'invalid_request', message: 'the fake refused this batch', line: 1 }] } : null,
      request_counts: { total: b.requests.length, completed: done ? ok : 0, failed: done ? b.requests.length - ok : 0 },
    };
  }

  function openaiFile(id: string): string | null {
    const m = /^file-(out|err)-(\d+)$/.exec(id);
    if (!m) return files.get(id) ?? null;
    const b = batches[Number(m[2])]!;
    const lines: string[] = [];
    for (const { r, a } of answered(b)) {
      if (m[1] === 'out' && a && 'text' in a) {
        lines.push(JSON.stringify({ id: 'req', custom_id: r.customId, response: { status_code: 200, request_id: 'x', body: openaiChat(r.body, a) }, error: null }));
      } else if (m[1] === 'err' && a && 'error' in a) {
        lines.push(JSON.stringify({ id: 'req', custom_id: r.customId, response: { status_code: 400, request_id: 'x', body: { error: { message: a.error, type: 'invalid_request_error' } } }, error: null }));
      } else if (m[1] === 'err' && !a) {
        const code = b.plan.end === 'cancelled' ? 'batch_cancelled' : 'batch_expired';
        lines.push(JSON.stringify({ id: 'req', custom_id: r.customId, response: null, error: { code, message: `This request could not be executed (${code}).` } }));
      }
    }
    // Results come in no particular order: the client must match them by custom_id.
    return lines.reverse().map((l) => `${l}\n`).join('');
  }

  function anthropicBatch(b: FakeBatch) {
    const done = ended(b);
    const rows = answered(b);
    const count = (t: string) => (done ? rows.filter((x) => typeOf(b, x.a) === t).length : 0);
    return {
      id: b.id,
      type: 'message_batch',
      processing_status: done ? 'ended' : 'in_progress',
      request_counts: { processing: done ? 0 : b.requests.length, succeeded: count('succeeded'), errored: count('errored'), canceled: count('canceled'), expired: count('expired') },
      created_at: '2026-01-01T00:00:00Z',
      expires_at: '2026-01-02T00:00:00Z',
      ended_at: done ? '2026-01-01T01:00:00Z' : null,
      cancel_initiated_at: b.plan.end === 'cancelled' ? '2026-01-01T00:30:00Z' : null,
      archived_at: null,
      results_url: done ? `${base}/v1/messages/batches/${b.id}/results` : null,
    };
  }

  function typeOf(b: FakeBatch, a: FakeAnswer | null): string {
    if (!a) return b.plan.end === 'cancelled' ? 'canceled' : 'expired';
    return 'text' in a ? 'succeeded' : 'errored';
  }

  function anthropicResults(b: FakeBatch): string {
    return answered(b)
      .map(({ r, a }) => {
        const type = typeOf(b, a);
        const result =
          type === 'succeeded'
            ? { type, message: anthropicMessage(r.body, a as { text: string }) }
            : type === 'errored'
              ? { type, error: { type: 'error', error: { type: 'invalid_request_error', message: (a as { error: string }).error } } }
              : { type };
        return `${JSON.stringify({ custom_id: r.customId, result })}\n`;
      })
      .reverse()
      .join('');
  }

  const newBatch = (requests: FakeBatch['requests']): FakeBatch => {
    const index = batches.length;
    const b: FakeBatch = { id: `${kind === 'openai' ? 'batch' : 'msgbatch'}_fake${index}`, index, requests, plan: opts.plan?.(index) ?? {}, checks: 0, failedChecks: 0, failedReads: 0 };
    batches.push(b);
    return b;
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const url = req.url ?? '';
      log.push(`${req.method} ${url}`);
      const json = (status: number, v: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      const text = (v: string) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(v);
      };
      const body = () => JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      let m: RegExpExecArray | null;
      // Provider hiccups, by batch: status checks and result reads answered 503 at first.
      const flaky = /^\/v1\/(?:messages\/)?batches\/([^/]+)(\/results)?$/.exec(url) ?? /^\/v1\/files\/file-(?:out|err)-(\d+)\/content$/.exec(url);
      if (req.method === 'GET' && flaky) {
        const b = batches.find((x) => x.id === flaky[1] || String(x.index) === flaky[1]);
        const reading = Boolean(flaky[2]) || url.startsWith('/v1/files/');
        if (b && !reading && b.failedChecks < (b.plan.failChecks ?? 0)) {
          b.failedChecks++;
          return json(503, { error: { message: 'fake overloaded' } });
        }
        if (b && reading && b.failedReads < (b.plan.failReads ?? 0)) {
          b.failedReads++;
          return json(503, { error: { message: 'fake overloaded' } });
        }
      }
      if (req.method === 'POST' && (url === '/v1/chat/completions' || url === '/v1/messages')) {
        const b = body();
        single.push(b);
        const a = opts.answer(b, null);
        if ('error' in a) return json(400, { type: 'error', error: { type: 'invalid_request_error', message: a.error } });
        return json(200, kind === 'openai' ? openaiChat(b, a) : anthropicMessage(b, a));
      }
      if (kind === 'openai') {
        if (req.method === 'POST' && url === '/v1/files') {
          const id = `file-up-${files.size}`;
          files.set(id, multipartFile(raw, req.headers['content-type'] ?? ''));
          return json(200, { id, object: 'file', bytes: raw.length, created_at: 0, filename: 'batch.jsonl', purpose: 'batch' });
        }
        if (req.method === 'POST' && url === '/v1/batches') {
          const input = files.get(String(body().input_file_id));
          if (input === undefined) return json(404, { error: { message: 'no such file' } });
          const requests = input
            .split('\n')
            .filter((l) => l.trim())
            .map((l) => JSON.parse(l) as { custom_id: string; body: Record<string, unknown> })
            .map((l) => ({ customId: l.custom_id, body: l.body }));
          return json(200, openaiBatch(newBatch(requests)));
        }
        if (req.method === 'GET' && (m = /^\/v1\/batches\/([^/]+)$/.exec(url))) {
          const b = batches.find((x) => x.id === m![1]);
          if (!b) return json(404, { error: { message: 'no such batch' } });
          b.checks++;
          return json(200, openaiBatch(b));
        }
        if (req.method === 'GET' && (m = /^\/v1\/files\/([^/]+)\/content$/.exec(url))) {
          const content = openaiFile(m[1]!);
          return content === null ? json(404, { error: { message: 'no such file' } }) : text(content);
        }
      } else {
        if (req.method === 'POST' && url === '/v1/messages/batches') {
          const requests = (body().requests as { custom_id: string; params: Record<string, unknown> }[]).map((r) => ({ customId: r.custom_id, body: r.params }));
          return json(200, anthropicBatch(newBatch(requests)));
        }
        if (req.method === 'GET' && (m = /^\/v1\/messages\/batches\/([^/]+)\/results$/.exec(url))) {
          const b = batches.find((x) => x.id === m![1]);
          return b ? text(anthropicResults(b)) : json(404, { type: 'error', error: { type: 'not_found_error', message: 'no such batch' } });
        }
        if (req.method === 'GET' && (m = /^\/v1\/messages\/batches\/([^/]+)$/.exec(url))) {
          const b = batches.find((x) => x.id === m![1]);
          if (!b) return json(404, { type: 'error', error: { type: 'not_found_error', message: 'no such batch' } });
          b.checks++;
          return json(200, anthropicBatch(b));
        }
      }
      json(404, { error: { message: `fake: nothing at ${req.method} ${url}` } });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  return {
    baseURL: kind === 'openai' ? `${base}/v1` : base,
    batches,
    single,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
