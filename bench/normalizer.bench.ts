/**
 * Micro-benchmark of the normalizer (src/contacts/normalize.ts), which runs on every answer:
 * ops/s on a 50-contact list page, a single contact with a 19-digit id, and the seed's example.
 *
 *   npm run bench:normalizer            (BENCH_NORMALIZER_MS per case, default 2000)
 *
 * Prints one line per case and the same figures as JSON on the last line.
 */
import { normalizeAnswer } from '../src/contacts/normalize';
import { GET_CONTACT_ID, renderBenchAnswers, SEED_EXAMPLE_ID } from './answers';

interface CaseResult {
  name: string;
  bytes: number;
  opsPerSec: number;
  usPerOp: number;
}

function measure(name: string, text: string, budgetMs: number): CaseResult {
  const check = normalizeAnswer(text);
  if (!check.ok) throw new Error(`${name}: the normalizer refused the answer`);
  // Warm up so the JIT has compiled the hot functions before timing.
  for (let i = 0; i < 2000; i++) normalizeAnswer(text);
  let ops = 0;
  let sink = 0;
  const started = process.hrtime.bigint();
  const budgetNs = BigInt(budgetMs) * 1_000_000n;
  let elapsed = 0n;
  while (elapsed < budgetNs) {
    for (let i = 0; i < 200; i++) {
      const result = normalizeAnswer(text);
      if (result.ok) sink += result.json.length;
    }
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
  const results = cases.map(([name, text]) => measure(name, text, budgetMs));
  for (const r of results) {
    process.stdout.write(`${r.name.padEnd(36)} ${String(r.bytes).padStart(6)} B  ${String(r.opsPerSec).padStart(9)} ops/s  ${r.usPerOp} µs/op\n`);
  }
  process.stdout.write(`${JSON.stringify({ node: process.version, results })}\n`);
}

main();
