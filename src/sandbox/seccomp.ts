/**
 * The seccomp filter every sandbox is started with (bubblewrap's `--seccomp FD`): no new user
 * namespaces inside the sandbox, with or without root. A user namespace is how an
 * unprivileged process reaches mount, network and other kernel interfaces meant for root;
 * no dataset task needs one. Everything else is allowed: the sandbox's namespaces, uids and
 * limits do the rest.
 *
 * bubblewrap's own `--disable-userns` would do the same but only together with
 * `--unshare-user`, which the privileged sandbox (samples under their own uids) cannot use.
 *
 * The program is classic BPF over `struct seccomp_data` { int nr; u32 arch; u64 ip; u64 args[6] }:
 * - clone(2) and unshare(2) with CLONE_NEWUSER in their flags fail with EPERM;
 * - clone3(2) fails with ENOSYS, as under Docker's default profile: its flags sit in memory
 *   a filter cannot read, and glibc falls back to clone(2) when it is missing;
 * - any other architecture's or ABI's system calls (i386 or x32 on x86-64) fail with EPERM,
 *   so the filter cannot be stepped around.
 */

const CLONE_NEWUSER = 0x10000000;
const EPERM = 1;
const ENOSYS = 38;
const RET_ALLOW = 0x7fff0000;
const retErrno = (errno: number) => 0x00050000 | errno;

const LD_ABS_W = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;

const OFFSET = { nr: 0, arch: 4, arg0Low: 16 } as const;

interface Arch {
  audit: number;
  clone: number;
  unshare: number;
  clone3: number;
  /** Syscall numbers at or above this belong to another ABI (x32). */
  abiBit?: number;
}

const ARCHES: Partial<Record<NodeJS.Architecture, Arch>> = {
  x64: { audit: 0xc000003e, clone: 56, unshare: 272, clone3: 435, abiBit: 0x40000000 },
  arm64: { audit: 0xc00000b7, clone: 220, unshare: 97, clone3: 435 },
};

type Label = 'allow' | 'deny' | 'nosys' | 'flags';
type Insn =
  | { op: 'ld'; k: number; label?: Label }
  | { op: 'jump'; code: number; k: number; yes: Label | null; no: Label | null }
  | { op: 'ret'; k: number; label?: Label };

/** The filter for this machine's architecture, or null where none is known (the caller says so). */
export function noUserNamespacesFilter(arch: NodeJS.Architecture = process.arch): Buffer | null {
  const a = ARCHES[arch];
  if (!a) return null;
  const program: Insn[] = [
    { op: 'ld', k: OFFSET.arch },
    { op: 'jump', code: JEQ_K, k: a.audit, yes: null, no: 'deny' },
    { op: 'ld', k: OFFSET.nr },
    ...(a.abiBit !== undefined ? [{ op: 'jump', code: JGE_K, k: a.abiBit, yes: 'deny', no: null } as Insn] : []),
    { op: 'jump', code: JEQ_K, k: a.clone3, yes: 'nosys', no: null },
    { op: 'jump', code: JEQ_K, k: a.unshare, yes: 'flags', no: null },
    { op: 'jump', code: JEQ_K, k: a.clone, yes: 'flags', no: null },
    { op: 'ret', k: RET_ALLOW, label: 'allow' },
    { op: 'ld', k: OFFSET.arg0Low, label: 'flags' },
    { op: 'jump', code: JSET_K, k: CLONE_NEWUSER, yes: 'deny', no: null },
    { op: 'ret', k: RET_ALLOW },
    { op: 'ret', k: retErrno(EPERM), label: 'deny' },
    { op: 'ret', k: retErrno(ENOSYS), label: 'nosys' },
  ];
  const at = new Map<Label, number>();
  program.forEach((insn, i) => {
    if (insn.op !== 'jump' && insn.label) at.set(insn.label, i);
  });
  const out = Buffer.alloc(program.length * 8);
  program.forEach((insn, i) => {
    const offset = (label: Label | null) => {
      if (label === null) return 0;
      const d = at.get(label)! - (i + 1);
      if (d < 0 || d > 255) throw new Error(`seccomp: jump to ${label} out of range`);
      return d;
    };
    const base = i * 8;
    if (insn.op === 'ld') {
      out.writeUInt16LE(LD_ABS_W, base);
      out.writeUInt32LE(insn.k, base + 4);
    } else if (insn.op === 'ret') {
      out.writeUInt16LE(RET_K, base);
      out.writeUInt32LE(insn.k >>> 0, base + 4);
    } else {
      out.writeUInt16LE(insn.code, base);
      out.writeUInt8(offset(insn.yes), base + 2);
      out.writeUInt8(offset(insn.no), base + 3);
      out.writeUInt32LE(insn.k >>> 0, base + 4);
    }
  });
  return out;
}
