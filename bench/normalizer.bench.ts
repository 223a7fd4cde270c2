/**
 * Micro-benchmark of the normalizer (src/contacts/normalize.ts), which runs on every answer:
 * ops/s on a 50-contact list page, a single contact with a 19-digit id, and the seed's example,
 * through the gateway's entry point (normalizeBody: the answer's bytes as they came off the
 * wire, to the bytes sent), through the parse path alone (normalizeAnswer, text to text), and
 * through the first, lossless-json normalizer (./lossless-reference) for comparison.
 *
 *   npm run bench:normalizer            (BENCH_NORMALIZER_MS per case, default 2000)
 *
 * Prints one line per case and the same figures as JSON on the last line.
 */
import { normalizeAnswer, normalizeBody } from '../src/contacts/normalize';
import { GET_CONTACT_ID, renderBenchAnswers, SEED_EXAMPLE_ID } from './answers';
import { referenceNormalize } from './lossless-reference';

interface CaseResult {
  name: string;
  bytes: number;
  opsPerSec: number;
  usPerOp: number;
}

function measure(name: string, text: string, budgetMs: number, run: (text: string) => number): CaseResult {
  if (run(text) === 0) throw new Error(`${name}: the normalizer refused the answer`);
  // Warm up so the JIT has compiled the hot functions before timing.
  for (let i = 0; i < 2000; i++) run(text);
  let ops = 0;
  let sink = 0;
  const started = process.hrtime.bigint();
  const budgetNs = BigInt(budgetMs) * 1_000_000n;
  let elapsed = 0n;
  while (elapsed < budgetNs) {
    for (let i = 0; i < 200; i++) sink += run(text);
    ops += 200;
    elapsed = process.hrtime.bigint() - started;
  }
  if (sink === 0) throw new Error('unreachable: keeps the results alive');
  const seconds = Number(elapsed) / 1e9;
  return { name, bytes: Buffer.byteLength(text), opsPerSec: Math.round(ops / seconds), usPerOp: Number(((seconds / ops) * 1e6).toFixed(2)) };
}

function main(): void {
  const budgetMs = Number(process.env.BENCH_NORMALIZER_MS ?? 2000);
  const answers = renderBenchAnswers();
  const cases: Array<[string, string]> = [
    ['list (50 contacts)', answers.list],
    [`get (id ${GET_CONTACT_ID})`, answers.single.get(GET_CONTACT_ID)!],
    [`get (seed example ${SEED_EXAMPLE_ID})`, answers.single.get(SEED_EXAMPLE_ID)!],
  ];
  const wire = new Map(cases.map(([, text]) => [text, Buffer.from(text, 'utf8')]));
  const throughBody = (text: string) => {
    const result = normalizeBody(wire.get(text)!);
    return result.ok ? result.json.length : 0;
  };
  const throughText = (text: string) => {
    const result = normalizeAnswer(text);
    return result.ok ? result.json.length : 0;
  };
  const throughReference = (text: string) => {
    const result = referenceNormalize(text);
    return result.ok ? result.json.length : 0;
  };
  const results = [
    ...cases.map(([name, text]) => measure(`${name}, wire bytes`, text, budgetMs, throughBody)),
    ...cases.map(([name, text]) => measure(`${name}, parse path`, text, budgetMs, throughText)),
    ...cases.map(([name, text]) => measure(`${name}, lossless-json (first)`, text, budgetMs, throughReference)),
  ];
  for (const r of results) {
    process.stdout.write(`${r.name.padEnd(50)} ${String(r.bytes).padStart(6)} B  ${String(r.opsPerSec).padStart(9)} ops/s  ${r.usPerOp} µs/op\n`);
  }
  process.stdout.write(`${JSON.stringify({ node: process.version, results })}\n`);
}

main();
