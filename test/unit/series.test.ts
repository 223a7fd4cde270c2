/**
 * The request-path series (src/ops/series.ts) must expose exactly what prom-client's own Counter
 * and Histogram would for the same events, so dashboards and alerts cannot tell them apart.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { CounterFamily, HistogramFamily } from '../../src/ops/series';
import { parseExposition, type Sample } from '../helpers/prometheus-text';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const sorted = (samples: Sample[]) =>
  samples.map((s) => `${s.name}{${Object.entries(s.labels).sort().map(([k, v]) => `${k}=${v}`).join(',')}} ${s.value}`).sort();

test('a histogram family exposes the same buckets, sum and count as prom-client\'s Histogram', async () => {
  const ours = new Registry();
  const theirs = new Registry();
  const family = new HistogramFamily('h_seconds', 'help', ['route', 'method'], BUCKETS, ours);
  const reference = new Histogram({ name: 'h_seconds', help: 'help', labelNames: ['route', 'method'], buckets: BUCKETS, registers: [theirs] });
  const observations: Array<[string, string, number]> = [
    ['/a', 'GET', 0.0005], ['/a', 'GET', 0.001], ['/a', 'GET', 0.0011], ['/a', 'GET', 0.5], ['/a', 'GET', 7],
    ['/b', 'POST', 0.02], ['/b', 'POST', 1],
  ];
  for (const [route, method, value] of observations) {
    family.child(route, method).observe(value);
    reference.observe({ route, method }, value);
  }
  const mine = parseExposition(await ours.metrics());
  expect(sorted(mine)).toEqual(sorted(parseExposition(await theirs.metrics())));
  // Spot values: 0.001 falls in le="0.001" (bounds are inclusive); 7 only in +Inf.
  const bucket = (le: string) => mine.find((s) => s.name === 'h_seconds_bucket' && s.labels.route === '/a' && s.labels.le === le)!.value;
  expect([bucket('0.001'), bucket('0.01'), bucket('0.1'), bucket('1'), bucket('+Inf')]).toEqual([2, 3, 3, 4, 5]);
});

test('a counter family exposes the same values as prom-client\'s Counter, and a child is one series', async () => {
  const ours = new Registry();
  const theirs = new Registry();
  const family = new CounterFamily('c_total', 'help', ['route', 'status'], ours);
  const reference = new Counter({ name: 'c_total', help: 'help', labelNames: ['route', 'status'], registers: [theirs] });
  const ok = family.child('/a', '200');
  ok.inc();
  ok.inc(2);
  family.child('/a', '200').inc();
  family.child('/a', '500').inc();
  reference.inc({ route: '/a', status: '200' }, 4);
  reference.inc({ route: '/a', status: '500' });
  expect(family.child('/a', '200')).toBe(ok);
  expect(sorted(parseExposition(await ours.metrics()))).toEqual(sorted(parseExposition(await theirs.metrics())));
  expect(() => family.child('/a')).toThrow(/takes labels route, status/);
});
