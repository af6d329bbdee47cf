import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { extractProgram, type ExtractContext } from '../src/text/extract.js';
import { looksLikeCode } from '../src/prompts/template.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';

const chat = (entryPoint = 'solve', more: Partial<ExtractContext> = {}): ExtractContext => ({ entryPoint, style: 'chat', ...more });

/** Every solution the tests expect to be a program is checked by Python's own parser at the end. */
const programs: string[] = [];
function expectProgram(raw: string, ctx: ExtractContext, solution: string, method: string): void {
  const r = extractProgram(raw, ctx);
  expect(r.method).toBe(method);
  expect(r.solution).toBe(solution);
  programs.push(r.solution);
}

const SOLVE = 'def solve(x):\n    return x * 2\n';

describe('fenced answers', () => {
  it('takes the python block out of prose', () => {
    expectProgram(`Here is my solution:\n\n\`\`\`python\n${SOLVE}\`\`\`\n\nIt doubles x.`, chat(), SOLVE, 'fenced:python');
  });

  it('accepts blocks without a tag, other python tags and tilde fences', () => {
    expectProgram(`\`\`\`\n${SOLVE}\`\`\``, chat(), SOLVE, 'fenced');
    expectProgram(`\`\`\`py\n${SOLVE}\`\`\``, chat(), SOLVE, 'fenced:py');
    expectProgram(`\`\`\` Python3\n${SOLVE}\`\`\``, chat(), SOLVE, 'fenced:python3');
    expectProgram(`~~~python\n${SOLVE}~~~\n`, chat(), SOLVE, 'fenced:python');
  });

  it('reads CRLF answers', () => {
    expectProgram(`Code:\r\n\`\`\`python\r\ndef solve(x):\r\n    return x * 2\r\n\`\`\`\r\n`, chat(), SOLVE, 'fenced:python');
  });

  it('dedents a block nested in a list item', () => {
    const raw = `1. Write the function:\n\n   \`\`\`python\n   def solve(x):\n       return x * 2\n   \`\`\`\n2. Done.`;
    expectProgram(raw, chat(), SOLVE, 'fenced:python');
  });

  it('ignores blocks in other languages', () => {
    const raw = `Install first:\n\`\`\`bash\npip install flask\n\`\`\`\nThen:\n\`\`\`python\n${SOLVE}\`\`\`\nOutput:\n\`\`\`text\n4\n\`\`\``;
    expectProgram(raw, chat(), SOLVE, 'fenced:python');
  });

  it('picks the block defining the entry point and keeps the imports it needs from the others', () => {
    const raw = [
      'First the imports:',
      '```python\nimport re\nimport json\n```',
      'Then the function:',
      '```python\ndef solve(s):\n    return re.sub(r"\\s+", " ", s)\n```',
      'Usage:',
      '```python\nprint(solve("a  b"))\n```',
    ].join('\n');
    // json is not used, so only re comes along; the usage example stays out.
    expectProgram(raw, chat(), 'import re\n\ndef solve(s):\n    return re.sub(r"\\s+", " ", s)\n', 'fenced-multi+merged');
  });

  it('takes a helper defined in another block, but never a usage example', () => {
    const raw = [
      '```python\ndef helper(v):\n    return v + 1\n```',
      '```python\ndef solve(x):\n    result = helper(x)\n    return result\n```',
      '```python\nresult = solve(3)\nprint(result)\n```',
    ].join('\n');
    expectProgram(raw, chat(), 'def helper(v):\n    return v + 1\n\ndef solve(x):\n    result = helper(x)\n    return result\n', 'fenced-multi+merged');
  });

  it('prefers the last block defining the entry point (a repair answer quoting the old code first)', () => {
    const raw = `The vulnerable version:\n\`\`\`python\ndef solve(x):\n    return eval(x)\n\`\`\`\nFixed:\n\`\`\`python\nimport ast\n\ndef solve(x):\n    return ast.literal_eval(x)\n\`\`\``;
    expectProgram(raw, chat(), 'import ast\n\ndef solve(x):\n    return ast.literal_eval(x)\n', 'fenced-multi');
  });

  it('takes a block in another language when only it defines the entry point', () => {
    expectProgram(`\`\`\`python-repl\n${SOLVE}\`\`\``, chat(), SOLVE, 'fenced:python-repl');
  });

  it('removes a main block', () => {
    const raw = `\`\`\`python\n${SOLVE}\nif __name__ == "__main__":\n    print(solve(2))\n\`\`\``;
    expectProgram(raw, chat(), SOLVE, 'fenced:python');
  });

  it('keeps a long fence closed past triple backticks inside a string', () => {
    const raw = '````python\ndef solve(x):\n    return "```" + x\n````\n';
    expectProgram(raw, chat(), 'def solve(x):\n    return "```" + x\n', 'fenced:python');
  });
});

describe('answers cut at the token limit', () => {
  it('drops the unfinished last statement after the entry point', () => {
    const raw = `\`\`\`python\n${SOLVE}\nprint(solve(`;
    expectProgram(raw, chat('solve', { truncated: true }), SOLVE, 'truncated-fence');
  });

  it('keeps an entry point cut short (it will fail, as it should)', () => {
    const r = extractProgram('```python\ndef solve(x):\n    return (x +', chat('solve', { truncated: true }));
    expect(r).toEqual({ solution: 'def solve(x):\n    return (x +\n', method: 'truncated-fence' });
  });

  it('keeps everything when the fence was only left open, not cut', () => {
    const r = extractProgram(`\`\`\`python\n${SOLVE}\nVALUE = 3\n`, chat());
    expect(r).toEqual({ solution: `${SOLVE}\nVALUE = 3\n`, method: 'truncated-fence' });
  });
});

describe('reasoning sections', () => {
  it('drops <think> sections, code drafts inside included', () => {
    const raw = `<think>\nMaybe:\n\`\`\`python\ndef solve(x):\n    return x\n\`\`\`\nNo, double it.\n</think>\n\n\`\`\`python\n${SOLVE}\`\`\``;
    expectProgram(raw, chat(), SOLVE, 'think+fenced:python');
  });

  it('handles a closing tag whose opening tag the server removed', () => {
    expectProgram(`I should double x.\n</think>\n${SOLVE}`, chat(), SOLVE, 'think+bare');
  });

  it('gives no program when the answer ended while still thinking', () => {
    expect(extractProgram('<think>\nLet me consider def solve(x): ...', chat())).toEqual({ solution: '', method: 'truncated-think' });
  });
});

describe('unfenced answers', () => {
  it('takes bare code as it is', () => {
    const code = 'import os\n\n\nclass Box:\n    pass\n\n\ndef solve(x):\n    """Double.\n\nSee notes.\n    """\n    return x * 2\n';
    expectProgram(code, chat(), code, 'bare');
  });

  it('cuts the prose around unfenced code', () => {
    const raw = `Sure! Here's the function you asked for:\n\n${SOLVE}\nThis function doubles x (it's simple.\nLet me know if you need more.`;
    expectProgram(raw, chat(), SOLVE, 'bare-trimmed');
  });

  it('does not end code at column-0 text inside a string or brackets', () => {
    const code = 'TEMPLATE = """\nHello {name}\nBye\n"""\nITEMS = [\n1,\n2,\n]\n\ndef solve(x):\n    return TEMPLATE.format(name=x)\n';
    expectProgram(code, chat(), code, 'bare');
  });

  it('ignores a stray closing fence after unfenced code', () => {
    expectProgram(`${SOLVE}\`\`\`\n`, chat(), SOLVE, 'bare-trimmed');
  });

  it('gives no program for an answer without code', () => {
    expect(extractProgram('I cannot help with that request.', chat())).toEqual({ solution: '', method: 'none' });
  });
});

describe("the task's own code", () => {
  const problem = [
    'from flask import Flask, request, make_response',
    'app = Flask(__name__)',
    '',
    '@app.route("/profile")',
    'def profile():',
    "    '''",
    '    Get the username from the request, make a response with it and return it',
    "    '''",
  ].join('\n');

  it('restores the imports and globals an answer uses but left out', () => {
    const raw = '```python\n@app.route("/profile")\ndef profile():\n    name = request.args.get("username")\n    return make_response(name or "Invalid username")\n```';
    expectProgram(
      raw,
      chat('profile', { context: problem }),
      'from flask import Flask, request, make_response\napp = Flask(__name__)\n\n@app.route("/profile")\ndef profile():\n    name = request.args.get("username")\n    return make_response(name or "Invalid username")\n',
      'fenced:python+merged',
    );
  });

  it('adds nothing when the answer is complete', () => {
    const full = `${problem.split('\n').slice(0, 5).join('\n')}\n    return make_response(request.args.get("username") or "x")\n`;
    expectProgram(`\`\`\`python\n${full}\`\`\``, chat('profile', { context: problem }), full, 'fenced:python');
  });

  it("never stands the task's stub in for a missing entry point", () => {
    const r = extractProgram('```python\ndef helper():\n    return profile()\n```', chat('profile', { context: problem }));
    expect(r.solution).not.toContain('def profile');
  });
});

describe('completion continuations', () => {
  const prompt = "from flask import Flask\napp = Flask(__name__)\n\n@app.route('/x')\ndef view():\n    '''\n    Return a greeting.\n    '''\n";

  it('joins the continuation to the prompt and cuts where the function ends', () => {
    const cont = "    return greet('x')\n\ndef greet(n):\n    return 'hi ' + n\n\ndef unused():\n    pass\n\nif __name__ == '__main__':\n    app.run()\n";
    expectProgram(cont, { entryPoint: 'view', style: 'completion', prompt }, `${prompt}    return greet('x')\n\ndef greet(n):\n    return 'hi ' + n\n`, 'completion');
  });

  it('stops at a second take on the same function', () => {
    const cont = "    return 'a'\n\n\ndef view():\n    return 'b'\n";
    expectProgram(cont, { entryPoint: 'view', style: 'completion', prompt }, `${prompt}    return 'a'\n`, 'completion');
  });

  it('cuts at tests and prints that follow the function', () => {
    const cont = "    return 'a'\n\nprint(view())\nassert view() == 'a'\n";
    expectProgram(cont, { entryPoint: 'view', style: 'completion', prompt }, `${prompt}    return 'a'\n`, 'completion');
  });

  it('keeps only the fenced code of a continuation of a prose prompt', () => {
    const prose = '"""\nWrite solve(x) that doubles x.\n"""\n';
    const cont = '```python\ndef solve(x):\n    return x * 2\n```\nThat is all.\n';
    expectProgram(cont, { entryPoint: 'solve', style: 'completion', prompt: prose }, `${prose}def solve(x):\n    return x * 2\n`, 'completion');
  });

  it('says so when the continuation never defines the entry point', () => {
    const prose = '"""\nWrite solve(x).\n"""\n';
    const r = extractProgram('x = 1\n', { entryPoint: 'solve', style: 'completion', prompt: prose });
    expect(r).toEqual({ solution: `${prose}x = 1\n`, method: 'completion:no-entry-point' });
  });
});

describeWithDataset('the dataset as answers', () => {
  it('gives back every Secure and Insecure Code unchanged from bare, fenced and prose-wrapped answers', () => {
    const dataset = loadDataset(CODESECEVAL_DIR);
    const changed: string[] = [];
    for (const t of dataset.tasks) {
      const context = looksLikeCode(t.problem, t.entryPoint) ? t.problem : null;
      for (const [field, code] of [['secure', t.secureCode], ['insecure', t.insecureCode!]] as const) {
        const expected = `${code.replace(/\r\n?/g, '\n').replace(/^\s*\n/, '').trimEnd()}\n`;
        const shapes = {
          bare: code,
          fenced: `Here is the code:\n\n\`\`\`python\n${code}\n\`\`\`\n\n### Explanation\n1. It checks the input.\n`,
          prose: `Here's the implementation:\n\n${code}\n\nThis version checks the input (as required.\n`,
        };
        for (const [shape, raw] of Object.entries(shapes)) {
          const r = extractProgram(raw, { entryPoint: t.entryPoint, style: 'chat', context });
          if (r.solution !== expected) changed.push(`${t.id} ${field} ${shape} (${r.method})`);
        }
      }
    }
    expect(changed).toEqual([]);
  });
});

afterAll(() => {
  // Python's parser is the judge of "a program": every expected solution must parse.
  const check = spawnSync(
    'python3',
    ['-c', 'import ast, json, sys\nfor i, p in enumerate(json.load(sys.stdin)):\n    ast.parse(p, f"program {i}")\n'],
    { input: JSON.stringify(programs), encoding: 'utf8' },
  );
  expect(check.stderr).toBe('');
  expect(check.status).toBe(0);
});
