/**
 * Runs in every test file (jest setupFilesAfterEnv): every answer any gateway gives in the file is
 * validated against the gateway's OpenAPI document, and a test during which an answer did not
 * conform fails, naming the answer and what was wrong with it.
 *
 * OPENAPI_CONFORMANCE_REPORT=<file> appends "<test file> <answers checked>" per file, to count
 * what a whole run validated.
 */
import { appendFileSync } from 'node:fs';
import { formatMismatches, OpenApiRecorder } from '../helpers/openapi-recorder';

const recorder = OpenApiRecorder.install();

function failOnMismatch(when: string): void {
  const mismatches = recorder.takeMismatches();
  if (mismatches.length > 0) {
    throw new Error(`${mismatches.length} answer(s) ${when} do not match the OpenAPI document (src/ops/openapi.ts):\n${formatMismatches(mismatches)}`);
  }
}

afterEach(() => failOnMismatch('in this test'));

afterAll(() => {
  recorder.uninstall();
  const report = process.env.OPENAPI_CONFORMANCE_REPORT;
  if (report) appendFileSync(report, `${expect.getState().testPath ?? '?'} ${recorder.checked}\n`);
  failOnMismatch('outside any test (beforeAll/afterAll)');
});
