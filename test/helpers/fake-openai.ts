import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Task } from '../../src/core/task.js';

/** A request the fake server received, in arrival order. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body (null when the body was not JSON). */
  body: Record<string, unknown> | null;
  /** ms since the server started. */
  at: number;
}

/**
 * What to answer. `text` makes a well-formed answer in the API's own shape; `status` with
 * `json` sends anything else (errors, malformed answers), `body` sends bytes as they are
 * (invalid JSON). `delayMs` holds the answer back (a slow model), and a client that gives up
 * meanwhile gets nothing. `stallAfterHeaders` sends the status line, the headers and the
 * start of the body, then nothing more until the client goes away; `cutAfterHeaders` does the
 * same and then closes the connection; `hangUp` closes it without an answer.
 */
export interface FakeReply {
  text?: string;
  finishReason?: string;
  status?: number;
  headers?: Record<string, string>;
  json?: unknown;
  delayMs?: number;
  body?: string;
  contentType?: string;
  stallAfterHeaders?: boolean;
  cutAfterHeaders?: boolean;
  hangUp?: boolean;
  usage?: { input: number; output: number };
}

export type FakeHandler = (req: RecordedRequest, index: number) => FakeReply | Promise<FakeReply>;

export interface FakeServer {
  /** What the client gets as base URL (OpenAI style: ends in /v1; Anthropic: the root). */
  baseURL: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

type Shaper = (req: RecordedRequest, reply: FakeReply) => unknown;

/** A JSON-over-HTTP server on 127.0.0.1 with a random port; `shape` turns `text` replies into the API's format. */
export async function startFakeServer(handler: FakeHandler, shape: Shaper, basePath: string): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const started = Date.now();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> | null = null;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        body = null;
      }
      const rec: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, at: Date.now() - started };
      const index = requests.push(rec) - 1;
      void (async () => {
        const reply = await handler(rec, index);
        const send = () => {
          if (res.destroyed || res.writableEnded) return;
          if (reply.hangUp) {
            req.socket.destroy();
            return;
          }
          const status = reply.status ?? 200;
          const payload = reply.json !== undefined ? reply.json : status === 200 ? shape(rec, reply) : { error: { message: 'fake error' } };
          res.writeHead(status, { 'content-type': reply.contentType ?? 'application/json', ...reply.headers });
          if (reply.stallAfterHeaders || reply.cutAfterHeaders) {
            res.flushHeaders();
            res.write(JSON.stringify(payload).slice(0, 12));
            if (reply.cutAfterHeaders) setTimeout(() => req.socket.destroy(), 20);
            return;
          }
          res.end(reply.body ?? JSON.stringify(payload));
        };
        if (reply.delayMs) {
          const timer = setTimeout(send, reply.delayMs);
          res.on('close', () => clearTimeout(timer));
        } else send();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}${basePath}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function usageOf(req: RecordedRequest, reply: FakeReply): { prompt_tokens: number; completion_tokens: number } {
  if (reply.usage) return { prompt_tokens: reply.usage.input, completion_tokens: reply.usage.output };
  const promptChars = JSON.stringify(req.body?.messages ?? req.body?.prompt ?? '').length;
  return { prompt_tokens: Math.ceil(promptChars / 4), completion_tokens: Math.ceil((reply.text ?? '').length / 4) };
}

/** OpenAI-compatible: POST /v1/chat/completions and POST /v1/completions. */
export function startFakeOpenAI(handler: FakeHandler): Promise<FakeServer> {
  return startFakeServer(
    handler,
    (req, reply) => {
      const finish_reason = reply.finishReason ?? 'stop';
      const model = typeof req.body?.model === 'string' ? req.body.model : 'fake';
      if (req.path.endsWith('/chat/completions')) {
        return {
          id: 'chatcmpl-fake',
          object: 'chat.completion',
          created: 0,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: reply.text ?? '' }, finish_reason }],
          usage: usageOf(req, reply),
        };
      }
      return {
        id: 'cmpl-fake',
        object: 'text_completion',
        created: 0,
        model,
        choices: [{ index: 0, text: reply.text ?? '', finish_reason }],
        usage: usageOf(req, reply),
      };
    },
    '/v1',
  );
}

/** The user message (chat) or prompt (completions) of a recorded OpenAI-style request. */
export function promptOf(req: RecordedRequest): string {
  const messages = req.body?.messages;
  if (Array.isArray(messages)) {
    const user = messages.find((m: { role?: string }) => m.role === 'user') as { content?: string } | undefined;
    return user?.content ?? '';
  }
  return typeof req.body?.prompt === 'string' ? req.body.prompt : '';
}

/** The chat messages of a recorded OpenAI-style request, in order (empty for completions). */
export function messagesOf(req: RecordedRequest): { role: string; content: string }[] {
  const messages = req.body?.messages;
  if (!Array.isArray(messages)) return [];
  return messages.map((m: { role?: unknown; content?: unknown }) => ({
    role: typeof m.role === 'string' ? m.role : '',
    content: typeof m.content === 'string' ? m.content : '',
  }));
}

/** Which round of a multi-round conversation a chat request asks for: the assistant turns before it. */
export function chatRound(req: RecordedRequest): number {
  return messagesOf(req).filter((m) => m.role === 'assistant').length;
}

/** The task a prompt was rendered from: its Problem (or Vulnerability-aware Problem) is in it. */
export function taskOfRequest(tasks: readonly Task[], req: RecordedRequest): Task {
  const text = promptOf(req);
  const found = tasks.find((t) => text.includes(t.problem.trim()) || (t.vulnAwareProblem && text.includes(t.vulnAwareProblem.trim())));
  if (!found) throw new Error('fake model: prompt names no known task');
  return found;
}

