import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = path.join(ROOT, 'test', 'unit', 'io-child-main.ts');

export interface Reply {
  ok?: boolean;
  message?: string;
  name?: string;
  appended?: number;
  ready?: number;
}

/** A test-controlled process running io-child-main.ts. */
export class Child {
  readonly proc: ChildProcess;
  private readonly replies: Reply[] = [];
  private waiting: ((r: Reply) => void) | null = null;
  readonly exited: Promise<number | null>;
  stderr = '';

  private constructor(fileSizeLimitKiB?: number) {
    const node = [process.execPath, '--import', 'tsx', MAIN].map((a) => `'${a}'`).join(' ');
    this.proc =
      fileSizeLimitKiB === undefined
        ? spawn(process.execPath, ['--import', 'tsx', MAIN], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
        : spawn('bash', ['-c', `ulimit -f ${fileSizeLimitKiB} && exec ${node}`], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.proc.on('exit', (code) => resolve(code)));
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      const r = JSON.parse(line) as Reply;
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(r);
      } else this.replies.push(r);
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  private next(): Promise<Reply> {
    const r = this.replies.shift();
    if (r) return Promise.resolve(r);
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      void this.exited.then((code) => reject(new Error(`child exited (${code}): ${this.stderr}`)));
    });
  }

  static async start(fileSizeLimitKiB?: number): Promise<Child> {
    const c = new Child(fileSizeLimitKiB);
    const r = await c.next();
    if (r.ready !== c.pid) throw new Error(`unexpected greeting ${JSON.stringify(r)}`);
    return c;
  }

  send(...cmd: unknown[]): Promise<Reply> {
    this.proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
    return this.next();
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
  }
}
