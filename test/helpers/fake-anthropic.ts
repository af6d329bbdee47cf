import { type FakeHandler, type FakeServer, startFakeServer } from './fake-openai.js';

export type { FakeReply, FakeServer, RecordedRequest } from './fake-openai.js';

/**
 * Anthropic-compatible: POST /v1/messages. The base URL is the server root, as the
 * Anthropic client expects. `thinking` in a reply adds a thinking block before the text.
 */
export function startFakeAnthropic(handler: FakeHandler, opts: { thinking?: string } = {}): Promise<FakeServer> {
  return startFakeServer(
    handler,
    (req, reply) => {
      const content: unknown[] = [];
      if (opts.thinking) content.push({ type: 'thinking', thinking: opts.thinking, signature: 'fake' });
      content.push({ type: 'text', text: reply.text ?? '' });
      const promptChars = JSON.stringify(req.body?.messages ?? '').length;
      return {
        id: 'msg_fake',
        type: 'message',
        role: 'assistant',
        model: typeof req.body?.model === 'string' ? req.body.model : 'fake',
        content,
        stop_reason: reply.finishReason ?? 'end_turn',
        stop_sequence: null,
        usage: reply.usage
          ? { input_tokens: reply.usage.input, output_tokens: reply.usage.output }
          : { input_tokens: Math.ceil(promptChars / 4), output_tokens: Math.ceil((reply.text ?? '').length / 4) },
      };
    },
    '',
  );
}

/** An error body in the Anthropic API's format. */
export function anthropicError(type: string, message: string): unknown {
  return { type: 'error', error: { type, message } };
}
