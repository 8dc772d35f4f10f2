import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The curl examples of a Markdown file, and how to run them against a server as a reader would:
 * in one shell, in the order they are written (so `TOKEN=…` in one block is there in the next).
 *
 * What the Markdown may say (an HTML comment on the line before a ```sh block, blank lines between
 * allowed):
 * - `<!-- examples: setup -->`: the block that sets up the file's examples. Its one line
 *   `[NAME=value …] npm start` names the server they talk to (the test starts that server itself,
 *   on a free port, with those variables); the rest (`BASE=…`, `ADMIN_TOKEN=…`) runs first.
 * - `<!-- not run: <why> -->`: the block is not run (it needs a setting the test's server lacks,
 *   or machines of your own); it is counted and reported as skipped.
 * Every other ```sh block that contains `curl` is an example and runs.
 */
export interface ShellBlock {
  /** Line of the opening fence (1-based). */
  line: number;
  text: string;
  /** Why it is not run (`<!-- not run: … -->`), if so. */
  skip?: string;
}

export interface DocExamples {
  file: string;
  /** The setup block (without its `npm start` line) and the server's variables from that line. */
  setup?: { line: number; text: string; env: Record<string, string> };
  examples: ShellBlock[];
}

const FENCE = /^(\s*)```(sh|bash|shell)\s*$/;
const MARKER = /^\s*<!--\s*(examples:\s*setup|not run:\s*(.*?))\s*-->\s*$/;
/** `NAME=value … npm start`, values without quotes, spaces or expansions. */
const START = /^\s*((?:[A-Z][A-Z0-9_]*=[^\s$'"`\\]*\s+)*)npm start\s*(#.*)?$/;

export function extractExamples(file: string, markdown: string): DocExamples {
  const lines = markdown.split('\n');
  const doc: DocExamples = { file, examples: [] };
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) end++;
    if (end === lines.length) throw new Error(`${file}:${i + 1}: a \`\`\`${open[2]} block that never closes`);
    const text = lines
      .slice(i + 1, end)
      .map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
      .join('\n');
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const marker = before >= 0 ? MARKER.exec(lines[before]!) : null;
    const line = i + 1;
    if (marker && !marker[2] && marker[1]!.startsWith('examples')) {
      if (doc.setup) throw new Error(`${file}:${line}: a second setup block (the first is at line ${doc.setup.line})`);
      const starts = text.split('\n').filter((l) => START.test(l));
      if (starts.length !== 1)
        throw new Error(`${file}:${line}: the setup block needs one \`[NAME=value …] npm start\` line`);
      const env = Object.fromEntries(
        [...START.exec(starts[0]!)![1]!.matchAll(/([A-Z][A-Z0-9_]*)=(\S*)/g)].map((m) => [m[1]!, m[2]!]),
      );
      const rest = text
        .split('\n')
        .filter((l) => !START.test(l))
        .join('\n');
      doc.setup = { line, text: rest, env };
    } else if (/\bcurl\b/.test(text)) {
      doc.examples.push({ line, text, ...(marker?.[2] !== undefined && { skip: marker[2] || 'no reason given' }) });
    }
    i = end;
  }
  return doc;
}

export interface BlockResult {
  line: number;
  ok: boolean;
  /** What the block printed (stdout and stderr), and a line for each command that failed. */
  output: string;
}

/**
 * The shell the examples run in. `curl` is a function that adds `--fail-with-body -sS` (any answer
 * of 400 or more fails the command; what it printed is kept) and a time limit: `-N` (a stream)
 * gets `--max-time 1`, and its time-out (exit 28) is success when the stream had answered 200;
 * anything else 10 s. Every command
 * that fails (a pipeline too, with pipefail; a `$(…)` through its assignment) marks its block.
 */
const PRELUDE = String.raw`
exec 2>&1
set -o pipefail -o errtrace
__failed=0
__on_error() {
  local status=$1 command=$2
  __failed=1
  # The wrapper below says which curl failed; its own return needs no second line.
  case "$command" in return*) ;; *) printf '\n>>> exit %s: %s\n' "$status" "$command" ;; esac
}
trap '__on_error "$?" "$BASH_COMMAND"' ERR
curl() {
  local arg stream=0 status=0
  for arg in "$@"; do case "$arg" in -N | --no-buffer) stream=1 ;; esac; done
  if [ "$stream" = 1 ]; then
    local headers
    headers=$(mktemp)
    command curl --fail-with-body -sS --max-time 1 -D "$headers" "$@" || status=$?
    # Cut off after a second is what a stream should be, once it has answered 200.
    if [ "$status" = 28 ] && head -n 1 "$headers" | grep -q '^HTTP/[0-9.]* 200'; then status=0; fi
    rm -f "$headers"
  else
    command curl --fail-with-body -sS --max-time 10 "$@" || status=$?
  fi
  if [ "$status" != 0 ]; then printf '\n>>> exit %s: curl %s\n' "$status" "$*"; fi
  return "$status"
}
`;

const mark = (kind: string, index: number) => `@@examples:${kind}:${index}@@`;

/**
 * Runs the setup (if any) and the examples not skipped, in order, in one bash in a temporary
 * directory (a cookie jar lands there), with `localhost:3000` in them pointing at `port` instead.
 * Each block's result is separate: a failed command marks its block, and the next still runs.
 */
export async function runExamples(doc: DocExamples, port: number): Promise<BlockResult[]> {
  const blocks = [
    ...(doc.setup ? [{ line: doc.setup.line, text: doc.setup.text }] : []),
    ...doc.examples.filter((e) => e.skip === undefined),
  ];
  const retarget = (text: string) => text.replaceAll(/\b(localhost|127\.0\.0\.1):3000\b/g, `$1:${port}`);
  let script = PRELUDE;
  blocks.forEach((block, i) => {
    script += `\n__failed=0\necho '${mark('start', i)}'\n${retarget(block.text)}\n`;
    script += `echo; echo "${mark('end', i)}$__failed"\n`;
  });
  const home = mkdtempSync(join(tmpdir(), 'seatstream-examples-'));
  try {
    const output = await new Promise<string>((resolve) => {
      execFile(
        'bash',
        ['-c', script],
        // A HOME of its own: no ~/.curlrc of the machine's user changes what curl does.
        {
          cwd: home,
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' },
          timeout: 120_000,
        },
        (_error, stdout) => resolve(stdout),
      );
    });
    return blocks.map((block, i) => {
      const start = output.indexOf(`${mark('start', i)}\n`);
      const end = new RegExp(`${mark('end', i)}(\\d)`).exec(output);
      if (start < 0 || !end)
        return { line: block.line, ok: false, output: `the block did not run to its end:\n${output.slice(start)}` };
      return {
        line: block.line,
        ok: end[1] === '0',
        output: output.slice(start + mark('start', i).length + 1, end.index).trim(),
      };
    });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
