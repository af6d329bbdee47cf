import { pairedCompare, taskMatrix, type PairedColumn, type Resampler } from './bootstrap.js';
import type { TaskGroup, TaskGroups } from './groups.js';
import { addToTally, judgeSample, type SplitTally } from './judge.js';
import type { TaskLabels } from './labels.js';
import { canSplit } from './labels.js';
import { passAtK } from './passk.js';
import { scoreGroup, type GroupMember, type GroupScore } from './scores.js';
import { experimentInfo } from '../core/experiments.js';
import type { SoftOutcome } from '../core/soft.js';
import type { Dataset } from '../core/task.js';

/**
 * Scores per round of multi-round (feedback-repair) runs: the repair@round curve.
 *
 * `evaluate` scores a sample's `solution`, which is its last round's program. Earlier rounds
 * are not evaluated again: their verdicts are the ones generate recorded when it ran each
 * round's program, in the same sandbox and against the same Test, while deciding whether to
 * go on. So round r's verdict of a sample is its recorded round-r verdict while r is before
 * its last round, and the results line's own verdict from its last round on (a sample that
 * stopped early keeps its final program for the later rounds). The curve's last point is
 * therefore exactly the headline pass@k of the run.
 */

/** One round of one sample as the score layer needs it. */
export interface RoundInput {
  passed: boolean | null;
  usage: { input_tokens: number; output_tokens: number } | null;
  /** Undefined: no soft run was made for this round; null: it gave no outcome. */
  soft?: SoftOutcome | null;
  done?: boolean;
}

/** One results line of a feedback run. */
export interface RoundLine {
  taskId: string;
  /** The results line's verdict (evaluate's run of the final program). */
  passed: boolean;
  /** The results line's soft outcome (evaluate --soft), if any. */
  soft?: SoftOutcome | null;
  rounds: RoundInput[];
  /** Rounds after round 0 the sample was allowed (its `feedback_repair.max_rounds`). */
  maxRounds: number | null;
}

interface SampleRounds {
  verdicts: boolean[];
  tokens: [number, number][];
  /** Per recorded round, the soft outcome, when every round had one. */
  softs: (SoftOutcome | null)[] | null;
  finalSoft: SoftOutcome | null | undefined;
  doneAt: number | null;
  finalPassed: boolean;
}

export interface RunRoundsInput {
  model: string;
  experiment: string;
  tasks: Map<string, SampleRounds[]>;
  maxRound: number;
  /** Samples whose recorded last-round verdict differs from evaluate's run of the same program. */
  disagreements: number;
  samples: number;
}

/** Collects feedback lines per (model, experiment); pure: whoever reads the files feeds it. */
export class RoundsTally {
  private readonly runs = new Map<string, RunRoundsInput>();

  add(model: string, experiment: string, line: RoundLine): void {
    const key = `${model}\u0000${experiment}`;
    let run = this.runs.get(key);
    if (!run) {
      run = { model, experiment, tasks: new Map(), maxRound: 0, disagreements: 0, samples: 0 };
      this.runs.set(key, run);
    }
    const recorded = line.rounds.length ? line.rounds : [{ passed: line.passed, usage: null }];
    const last = recorded.length - 1;
    const lastRecorded = recorded[last]!.passed;
    if (lastRecorded !== null && lastRecorded !== line.passed) run.disagreements++;
    const allSoft = line.rounds.length > 0 && recorded.every((r) => r.soft !== undefined);
    const doneAt = recorded.findIndex((r) => r.done === true);
    const sample: SampleRounds = {
      verdicts: recorded.map((r, i) => (i < last ? r.passed === true : line.passed)),
      tokens: recorded.map((r) => [r.usage?.input_tokens ?? 0, r.usage?.output_tokens ?? 0]),
      softs: allSoft ? recorded.map((r) => r.soft ?? null) : null,
      finalSoft: line.soft,
      doneAt: doneAt === -1 ? null : doneAt,
      finalPassed: line.passed,
    };
    run.maxRound = Math.max(run.maxRound, last, line.maxRounds ?? 0);
    run.samples++;
    const list = run.tasks.get(line.taskId);
    if (list) list.push(sample);
    else run.tasks.set(line.taskId, [sample]);
  }

  get size(): number {
    return this.runs.size;
  }

  finish(): RunRoundsInput[] {
    return [...this.runs.values()];
  }
}

export interface RoundSplitGroup {
  group: string;
  tasks: number;
  func: GroupScore;
  funcSec: GroupScore;
}

export interface RoundScore {
  round: number;
  subsets: GroupScore[];
  cwes: GroupScore[];
  /** Samples that asked the model in this round (round 0: every sample). */
  asked: number;
  /** Samples whose stop rule held after this round. */
  done: number;
  /** Tokens spent in this round, summed over samples. */
  inputTokens: number;
  outputTokens: number;
  /** func@k and func-sec@k after this round, when every round has soft outcomes and labels were given. */
  split: { subsets: RoundSplitGroup[]; cwes: RoundSplitGroup[] } | null;
}

export interface GroupComparison {
  group: string;
  tasks: number;
  /** Final round minus round 0, per k; null where some task has fewer than k samples. */
  perK: (PairedColumn | null)[];
}

export interface RunRounds {
  model: string;
  experiment: string;
  /** The model saw test results (a deployed tool would not have them). */
  oracle: boolean;
  samples: number;
  /** Last round index (round 0 .. maxRound). */
  maxRound: number;
  rounds: RoundScore[];
  /** Round 0 against the final round, on the same tasks and samples (paired). */
  compare: { subsets: GroupComparison[]; cwes: GroupComparison[] };
  disagreements: number;
}

export interface RoundScoreOptions {
  ks: readonly number[];
  resampler: Resampler;
  permutations: number;
  broken: ReadonlySet<string>;
  excludeBroken: boolean;
  labels?: ReadonlyMap<string, TaskLabels> | null;
}

interface TaskRound extends GroupMember {
  c: number;
}

function verdictAt(s: SampleRounds, r: number): boolean {
  return r < s.verdicts.length ? s.verdicts[r]! : s.finalPassed;
}

function softAt(s: SampleRounds, r: number): SoftOutcome | null | undefined {
  if (!s.softs) return undefined;
  const last = s.softs.length - 1;
  if (r < last) return s.softs[r];
  // From the last round on the program is the one evaluate ran: its soft run wins when there is one.
  return s.finalSoft !== undefined ? s.finalSoft : s.softs[last];
}

export function scoreRounds(inputs: readonly RunRoundsInput[], dataset: Dataset, groups: TaskGroups, opts: RoundScoreOptions): RunRounds[] {
  return inputs.map((run) => scoreRunRounds(run, dataset, groups, opts));
}

function scoreRunRounds(run: RunRoundsInput, dataset: Dataset, groups: TaskGroups, opts: RoundScoreOptions): RunRounds {
  const { ks, resampler } = opts;
  const perRound: Map<string, TaskRound>[] = [];
  const splitPerRound: { func: Map<string, GroupMember>; funcSec: Map<string, GroupMember> }[] = [];
  const rounds: RoundScore[] = [];
  const withSplit = opts.labels != null && [...run.tasks.values()].every((list) => list.every((s) => s.softs !== null));
  for (let r = 0; r <= run.maxRound; r++) {
    const byId = new Map<string, TaskRound>();
    const func = new Map<string, GroupMember>();
    const funcSec = new Map<string, GroupMember>();
    let asked = 0;
    let done = 0;
    let inputTokens = 0;
    let outputTokens = 0;
    for (const task of dataset.tasks) {
      const list = run.tasks.get(task.id);
      if (!list) continue;
      const broken = opts.broken.has(task.id);
      const counted = !(broken && opts.excludeBroken);
      let c = 0;
      const tally: SplitTally = { n: 0, functional: 0, functionalSecure: 0 };
      const labels = opts.labels?.get(task.id);
      for (const s of list) {
        if (verdictAt(s, r)) c++;
        if (r < s.tokens.length) {
          asked++;
          inputTokens += s.tokens[r]![0];
          outputTokens += s.tokens[r]![1];
        }
        if (s.doneAt === r) done++;
        if (withSplit && labels && canSplit(labels)) {
          const j = judgeSample(softAt(s, r) ?? undefined, labels);
          if (j) addToTally(tally, j);
        }
      }
      const n = list.length;
      byId.set(task.id, { broken, counted, n, c, passAtK: ks.map((k) => passAtK(n, c, k)) });
      if (tally.n > 0) {
        func.set(task.id, { broken, counted, n: tally.n, passAtK: ks.map((k) => passAtK(tally.n, tally.functional, k)) });
        funcSec.set(task.id, { broken, counted, n: tally.n, passAtK: ks.map((k) => passAtK(tally.n, tally.functionalSecure, k)) });
      }
    }
    perRound.push(byId);
    splitPerRound.push({ func, funcSec });
    const score = (g: TaskGroup) => scoreGroup(g, byId, ks, resampler);
    const splitGroup = (g: TaskGroup): RoundSplitGroup => {
      const f = scoreGroup(g, func, ks, resampler);
      return { group: g.label, tasks: f.tasks, func: f, funcSec: scoreGroup(g, funcSec, ks, resampler) };
    };
    rounds.push({
      round: r,
      subsets: groups.subsets.map(score),
      cwes: groups.cwes.map(score),
      asked,
      done,
      inputTokens,
      outputTokens,
      split: withSplit ? { subsets: groups.subsets.map(splitGroup), cwes: groups.cwes.map(splitGroup) } : null,
    });
  }
  const first = perRound[0]!;
  const final = perRound[perRound.length - 1]!;
  const compare = (g: TaskGroup): GroupComparison => compareGroup(g, first, final, ks, resampler, opts.permutations);
  return {
    model: run.model,
    experiment: run.experiment,
    oracle: experimentInfo(run.experiment).oracle === true,
    samples: run.samples,
    maxRound: run.maxRound,
    rounds,
    compare: { subsets: groups.subsets.map(compare), cwes: groups.cwes.map(compare) },
    disagreements: run.disagreements,
  };
}

/** Paired over the group's counted tasks: the same tasks and samples before and after repair. */
function compareGroup(
  g: TaskGroup,
  a: ReadonlyMap<string, TaskRound>,
  b: ReadonlyMap<string, TaskRound>,
  ks: readonly number[],
  resampler: Resampler,
  permutations: number,
): GroupComparison {
  const pairs = g.ids.flatMap((id) => {
    const x = a.get(id);
    const y = b.get(id);
    return x && y && x.counted && y.counted ? [[x, y] as const] : [];
  });
  const perK: (PairedColumn | null)[] = new Array(ks.length).fill(null);
  const cols = ks.flatMap((_, j) => (pairs.length > 0 && pairs.every(([x, y]) => x.passAtK[j] !== null && y.passAtK[j] !== null) ? [j] : []));
  if (cols.length) {
    const ma = taskMatrix(pairs.map(([x]) => cols.map((j) => x.passAtK[j]!)), cols.length);
    const mb = taskMatrix(pairs.map(([, y]) => cols.map((j) => y.passAtK[j]!)), cols.length);
    const res = pairedCompare(ma, mb, resampler, permutations)!;
    cols.forEach((j, col) => (perK[j] = res[col]!));
  }
  return { group: g.label, tasks: pairs.length, perK };
}
