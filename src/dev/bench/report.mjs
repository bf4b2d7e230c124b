// Figures and how the benchmark prints them.
import { createInterface } from 'node:readline';

/**
 * A child's stderr on ours, less the noise: the host's sandbox (SES) lists every intrinsic it
 * hardens, and Sequelize warns of the test kit's logging option on PostgreSQL.
 */
export function relayErrors(child) {
  createInterface({ input: child.stderr }).on('line', (line) => {
    if (!/Removing intrinsics|About to overwrite|SEQUELIZE0002|--trace-deprecation|^\s*$/.test(line)) console.error(line);
  });
}

/** count, mean, p50 and p99 of samples in µs, to one decimal. */
export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (value) => Math.round(value * 10) / 10;
  return {
    count: sorted.length,
    mean: round(sorted.reduce((sum, value) => sum + value, 0) / sorted.length),
    p50: round(at(0.5)),
    p99: round(at(0.99)),
  };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function printTable(headers, rows) {
  const cells = [headers, ...rows].map((row) => row.map(String));
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const line = (row) => `  ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')}`;
  console.log(line(cells[0]));
  console.log(`  ${widths.map((width) => '-'.repeat(width)).join('  ')}`);
  cells.slice(1).forEach((row) => console.log(line(row)));
}

/** One target, stated as met or not, with the figure that decides it. */
export function target(label, met, detail) {
  console.log(`  ${met ? '✔ met    ' : '✖ not met'}  ${label}: ${detail}`);
  return met;
}
