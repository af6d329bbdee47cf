/**
 * Splits a byte stream into lines, refusing any line longer than `maxBytes`. The runner's
 * stdout is the protocol channel: a line that never ends (a runner gone wrong, or a sample
 * that reached the channel) must cost one verdict, not the memory of the whole evaluation.
 */
export class BoundedLines {
  private parts: Buffer[] = [];
  private pending = 0;
  private overflowed = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: (bytes: number) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.overflowed) return;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      if (this.pending + piece.length > this.maxBytes) return this.overflow(this.pending + piece.length);
      this.parts.push(piece);
      const line = Buffer.concat(this.parts).toString('utf8');
      this.parts = [];
      this.pending = 0;
      this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      if (this.overflowed) return;
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (this.pending + rest.length > this.maxBytes) return this.overflow(this.pending + rest.length);
    if (rest.length) {
      // Copied: the stream may reuse the chunk's memory.
      this.parts.push(Buffer.from(rest));
      this.pending += rest.length;
    }
  }

  private overflow(bytes: number): void {
    this.overflowed = true;
    this.parts = [];
    this.pending = 0;
    this.onOverflow(bytes);
  }
}
