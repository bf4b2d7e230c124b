import React from 'react';
import type { Translate, UsageDay } from './api';
import { refusalLabel } from './refusal-labels';

/** antd's primary blue and error red. */
export const ANSWERED_COLOR = '#1677ff';
export const REFUSED_COLOR = '#ff4d4f';
const AXIS_COLOR = '#8c8c8c';
const GRID_COLOR = '#f0f0f0';

export interface UsageTotals {
  ok: number;
  refused: number;
  /** Refusals by code, most first. */
  byReason: Array<{ code: string; count: number }>;
}

export function usageTotals(days: UsageDay[]): UsageTotals {
  const byCode = new Map<string, number>();
  let ok = 0;
  let refused = 0;
  for (const day of days) {
    ok += day.ok;
    refused += day.refused;
    for (const [code, count] of Object.entries(day.refusedBy ?? {})) {
      byCode.set(code, (byCode.get(code) ?? 0) + count);
    }
  }
  const byReason = [...byCode].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
  return { ok, refused, byReason };
}

export const formatCount = (count: number, locale?: string) => new Intl.NumberFormat(locale).format(count);

const utc = (date: string) => Date.parse(`${date}T00:00:00Z`);
const shortDate = (date: string, locale?: string) =>
  new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(utc(date));
const longDate = (date: string, locale?: string) =>
  new Intl.DateTimeFormat(locale, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(utc(date));

/** The summary a screen reader reads, and the first line of a sparkline's tooltip. */
export function usageSummary(days: UsageDay[], t: Translate, locale?: string): string {
  const { ok, refused } = usageTotals(days);
  return t('Last {{days}} days: {{ok}} answered, {{refused}} refused', {
    days: days.length,
    ok: formatCount(ok, locale),
    refused: formatCount(refused, locale),
  });
}

/** One day's tooltip: the date, its counts and its refusals by reason. */
function dayTooltip(day: UsageDay, t: Translate, locale?: string): string {
  const lines = [
    t('{{date}}: {{ok}} answered, {{refused}} refused', {
      date: longDate(day.date, locale),
      ok: formatCount(day.ok, locale),
      refused: formatCount(day.refused, locale),
    }),
  ];
  for (const { code, count } of usageTotals([day]).byReason) {
    lines.push(`${refusalLabel(code, t)}: ${formatCount(count, locale)}`);
  }
  return lines.join('\n');
}

/** Bar height for a count, at least a pixel for any count above 0 so a single refusal shows. */
const barHeight = (count: number, max: number, height: number) => (count > 0 ? Math.max(1, (count / max) * height) : 0);

const SPARK_BAR = 2;
const SPARK_GAP = 1;
export const SPARK_HEIGHT = 20;
export const sparklineWidth = (days: number) => days * (SPARK_BAR + SPARK_GAP) - SPARK_GAP;

/** A key's requests per day as tiny stacked bars: answered in blue, refused in red above. */
export function Sparkline({ days, t, locale }: { days: UsageDay[]; t: Translate; locale?: string }) {
  const width = sparklineWidth(days.length);
  const max = Math.max(1, ...days.map((day) => day.ok + day.refused));
  const summary = usageSummary(days, t, locale);
  return (
    <svg
      className="keyward-sparkline"
      role="img"
      aria-label={summary}
      width={width}
      height={SPARK_HEIGHT}
      viewBox={`0 0 ${width} ${SPARK_HEIGHT}`}
      style={{ display: 'block', overflow: 'visible' }}
    >
      <title>{summary}</title>
      <rect x={0} y={SPARK_HEIGHT - 1} width={width} height={1} fill={GRID_COLOR} />
      {days.map((day, i) => {
        const x = i * (SPARK_BAR + SPARK_GAP);
        const ok = barHeight(day.ok, max, SPARK_HEIGHT);
        const refused = barHeight(day.refused, max, SPARK_HEIGHT);
        return (
          <g key={day.date}>
            {ok > 0 && <rect data-kind="ok" x={x} y={SPARK_HEIGHT - ok} width={SPARK_BAR} height={ok} fill={ANSWERED_COLOR} />}
            {refused > 0 && (
              <rect data-kind="refused" x={x} y={SPARK_HEIGHT - ok - refused} width={SPARK_BAR} height={refused} fill={REFUSED_COLOR} />
            )}
          </g>
        );
      })}
    </svg>
  );
}

/** A round step (1, 2 or 5 times a power of ten, at least 1) that splits `max` into about `parts`. */
function niceStep(max: number, parts: number): number {
  const rough = Math.max(1, max / parts);
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

const WIDTH = 720;
const HEIGHT = 260;
const MARGIN = { top: 12, right: 12, bottom: 46, left: 56 };

/**
 * Requests answered and refused per day as stacked bars, with a count axis, a date axis every
 * week back from today, and each day's counts in its tooltip.
 */
export function UsageChart({ days, t, locale }: { days: UsageDay[]; t: Translate; locale?: string }) {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const highest = Math.max(0, ...days.map((day) => day.ok + day.refused));
  const step = niceStep(highest, 4);
  const top = Math.max(step, Math.ceil(highest / step) * step);
  const ticks = Array.from({ length: top / step + 1 }, (_, i) => i * step);
  const slot = plotWidth / Math.max(1, days.length);
  const bar = Math.max(1, slot * 0.7);
  const y = (count: number) => MARGIN.top + plotHeight - (count / top) * plotHeight;
  const baseline = MARGIN.top + plotHeight;
  return (
    <svg
      className="keyward-usage-chart"
      role="img"
      aria-label={usageSummary(days, t, locale)}
      width="100%"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      style={{ display: 'block', fontSize: 12, fontFamily: 'inherit' }}
    >
      <title>{usageSummary(days, t, locale)}</title>
      {ticks.map((tick) => (
        <g key={tick}>
          <line x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={y(tick)} y2={y(tick)} stroke={tick ? GRID_COLOR : AXIS_COLOR} />
          <text x={MARGIN.left - 6} y={y(tick)} dy="0.32em" textAnchor="end" fill={AXIS_COLOR}>
            {formatCount(tick, locale)}
          </text>
        </g>
      ))}
      <text
        transform={`translate(14 ${MARGIN.top + plotHeight / 2}) rotate(-90)`}
        textAnchor="middle"
        fill={AXIS_COLOR}
      >
        {t('Requests')}
      </text>
      {days.map((day, i) => {
        const x = MARGIN.left + i * slot + (slot - bar) / 2;
        const ok = day.ok ? Math.max(1, baseline - y(day.ok)) : 0;
        const refused = day.refused ? Math.max(1, baseline - y(day.refused)) : 0;
        // Every seventh day back from today, today included.
        const labelled = (days.length - 1 - i) % 7 === 0;
        return (
          <g key={day.date} className="keyward-usage-day" data-date={day.date}>
            <title>{dayTooltip(day, t, locale)}</title>
            {/* Catches the pointer over the whole column, so empty days have a tooltip too. */}
            <rect x={MARGIN.left + i * slot} y={MARGIN.top} width={slot} height={plotHeight} fill="transparent" />
            {ok > 0 && <rect data-kind="ok" x={x} y={baseline - ok} width={bar} height={ok} fill={ANSWERED_COLOR} />}
            {refused > 0 && <rect data-kind="refused" x={x} y={baseline - ok - refused} width={bar} height={refused} fill={REFUSED_COLOR} />}
            {labelled && (
              <>
                <line x1={x + bar / 2} x2={x + bar / 2} y1={baseline} y2={baseline + 4} stroke={AXIS_COLOR} />
                <text x={x + bar / 2} y={baseline + 17} textAnchor="middle" fill={AXIS_COLOR}>
                  {shortDate(day.date, locale)}
                </text>
              </>
            )}
          </g>
        );
      })}
      <text x={MARGIN.left + plotWidth / 2} y={HEIGHT - 6} textAnchor="middle" fill={AXIS_COLOR}>
        {t('Day (UTC)')}
      </text>
    </svg>
  );
}

/** The chart's key: which color is which. */
export function UsageLegend({ t }: { t: Translate }) {
  const item = (color: string, label: string) => (
    <span style={{ display: 'inline-flex', alignItems: 'center', gap: 6, marginRight: 16 }}>
      <span aria-hidden style={{ width: 12, height: 12, borderRadius: 2, background: color, display: 'inline-block' }} />
      {label}
    </span>
  );
  return (
    <div className="keyward-usage-legend">
      {item(ANSWERED_COLOR, t('Answered'))}
      {item(REFUSED_COLOR, t('Refused'))}
    </div>
  );
}
