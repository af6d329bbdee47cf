/**
 * A separate process for the I/O tests (run with `node --import tsx`): it takes locks and
 * appends lines on command, one JSON array per stdin line, answering one JSON object per
 * stdout line. Real processes are the point: locks are about other processes, and a file
 * size limit (ulimit -f) only applies to a whole process.
 */
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { acquireLock, JsonlAppender, type Lock } from '../../src/io/index.js';

// With a file size limit, the kernel sends SIGXFSZ at the limit; ignoring it turns the
// signal into an EFBIG write error, which is what the appender must handle.
process.on('SIGXFSZ', () => undefined);

const locks = new Map<string, Lock>();
const fds = new Map<string, number>();
const reply = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);

function run(cmd: unknown[]): unknown {
  const [op, ...args] = cmd;
  try {
    switch (op) {
      case 'lock': {
        const [target, command] = args as [string, string];
        locks.set(target, acquireLock(target, { command }));
        return { ok: true };
      }
      case 'release':
        locks.get(args[0] as string)?.release();
        return { ok: true };
      // Keep a file open, as a writer does between appends.
      case 'open':
        fds.set(args[0] as string, openSync(args[0] as string, 'a'));
        return { ok: true };
      case 'close':
        closeSync(fds.get(args[0] as string)!);
        fds.delete(args[0] as string);
        return { ok: true };
      case 'append': {
        const [file, count, size] = args as [string, number, number];
        const out = new JsonlAppender<{ i: number; pad: string }>(file);
        let appended = 0;
        try {
          for (let i = 0; i < count; i++) {
            out.append({ i, pad: 'x'.repeat(size) });
            appended++;
          }
        } finally {
          out.close();
        }
        return { ok: true, appended };
      }
      case 'exit':
        process.exit(args[0] as number);
      // falls through (never reached)
      default:
        return { ok: false, message: `unknown command ${String(op)}` };
    }
  } catch (e) {
    return { ok: false, name: (e as Error).name, message: (e as Error).message };
  }
}

reply({ ready: process.pid });
for await (const line of createInterface({ input: process.stdin })) reply(run(JSON.parse(line) as unknown[]));
