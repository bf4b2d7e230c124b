import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import React from 'react';
import { describe, expect, it } from 'vitest';
import { refusalLabel } from '../refusal-labels';
import { Sparkline, UsageChart, usageTotals } from '../UsageChart';
import { UsageDetails, UsageModal } from '../UsageModal';
import type { UsageDay } from '../api';
import { dayAgo, fakeApi, key, t, usage } from './fakes';

const DAYS: UsageDay[] = [
  { date: dayAgo(2), ok: 40, refused: 10, refusedBy: { API_KEY_RATE_LIMITED: 6, API_KEY_READ_ONLY: 4 } },
  { date: dayAgo(1), ok: 100, refused: 0, refusedBy: {} },
  { date: dayAgo(0), ok: 7, refused: 3, refusedBy: { API_KEY_IP_NOT_ALLOWED: 2, '403': 1 } },
];

function rects(container: Element, kind: 'ok' | 'refused') {
  return [...container.querySelectorAll(`rect[data-kind="${kind}"]`)].map((rect) => Number(rect.getAttribute('height')));
}

describe('Sparkline', () => {
  it('draws a bar per day with use, refusals stacked in their own color, to scale', () => {
    const { container } = render(<Sparkline days={usage(30, DAYS).data} t={t} />);
    const svg = container.querySelector('svg')!;
    // 30 days of 2 px bars, 1 px apart, 20 px high.
    expect(svg.getAttribute('width')).toBe('89');
    expect(rects(svg, 'ok')).toEqual([(40 / 100) * 20, 20, (7 / 100) * 20]);
    // 3 of 100 would be under a pixel: drawn as one, so it shows.
    expect(rects(svg, 'refused')).toEqual([(10 / 100) * 20, 1]);
    const [firstOk] = svg.querySelectorAll('rect[data-kind="ok"]');
    const [firstRefused] = svg.querySelectorAll('rect[data-kind="refused"]');
    // Refusals sit on top of the answered requests of the same day, in red.
    expect(firstRefused.getAttribute('x')).toBe(firstOk.getAttribute('x'));
    expect(Number(firstRefused.getAttribute('y')) + Number(firstRefused.getAttribute('height'))).toBeCloseTo(Number(firstOk.getAttribute('y')));
    expect(firstRefused.getAttribute('fill')).not.toBe(firstOk.getAttribute('fill'));
    // The day with most use is on the right: today is the last bar.
    expect(Number(firstOk.getAttribute('x'))).toBe(27 * 3);
    expect(svg.getAttribute('aria-label')).toBe('Last 30 days: 147 answered, 13 refused');
    expect(svg.querySelector('title')!.textContent).toBe('Last 30 days: 147 answered, 13 refused');
  });

  it('draws no bars for a key never used, and a pixel for a single request among many', () => {
    const { container, rerender } = render(<Sparkline days={usage(30).data} t={t} />);
    expect(rects(container, 'ok')).toEqual([]);
    expect(rects(container, 'refused')).toEqual([]);
    rerender(<Sparkline days={usage(30, [{ date: dayAgo(0), ok: 5000, refused: 1, refusedBy: { API_KEY_EXPIRED: 1 } }]).data} t={t} />);
    expect(rects(container, 'refused')).toEqual([1]);
  });
});

describe('UsageChart', () => {
  it('labels its axes and gives every day a tooltip with its counts and reasons', () => {
    const { container } = render(<UsageChart days={usage(30, DAYS).data} t={t} locale="en-US" />);
    const svg = container.querySelector('svg')!;
    expect(svg.getAttribute('aria-label')).toBe('Last 30 days: 147 answered, 13 refused');
    const texts = [...svg.querySelectorAll('text')].map((text) => text.textContent);
    expect(texts).toEqual(expect.arrayContaining(['Requests', 'Day (UTC)', '0', '50', '100']));
    // A date under today and every 7th day back: 5 of them in 30 days.
    const dateLabels = svg.querySelectorAll('.keyward-usage-day text');
    expect(dateLabels).toHaveLength(5);
    const today = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date());
    expect(dateLabels[4].textContent).toBe(today);
    const days = svg.querySelectorAll('.keyward-usage-day');
    expect(days).toHaveLength(30);
    const twoDaysAgo = svg.querySelector(`[data-date="${dayAgo(2)}"] > title`)!.textContent!;
    expect(twoDaysAgo).toMatch(/: 40 answered, 10 refused\nOver its rate limit: 6\nWrite with a read-only key: 4$/);
    expect(svg.querySelector(`[data-date="${dayAgo(5)}"] > title`)!.textContent).toMatch(/: 0 answered, 0 refused$/);
    // Bars to scale against a round top of the axis (100).
    expect(rects(svg, 'ok')).toEqual([0.4 * 202, 202, 0.07 * 202].map((height) => expect.closeTo(height, 5)));
  });
});

describe('UsageDetails', () => {
  it('shows the totals, a legend, the refusals by reason, and where and when the key was last used', () => {
    const lastUsedAt = new Date(Date.now() - 3600_000).toISOString();
    render(<UsageDetails usage={usage(30, DAYS, { lastUsedAt, lastUsedIp: '203.0.113.7' })} t={t} locale="en-US" />);
    expect(screen.getByRole('heading', { name: 'Last 30 days: 147 answered, 13 refused' })).toBeTruthy();
    expect(screen.getByText('Answered')).toBeTruthy();
    expect(screen.getByText('Refused')).toBeTruthy();
    const reasons = [...document.querySelectorAll('.ant-table-tbody tr')].map((row) =>
      [...row.querySelectorAll('td')].map((cell) => cell.textContent),
    );
    expect(reasons).toEqual([
      ['Over its rate limit', 'API_KEY_RATE_LIMITED', '6'],
      ['Write with a read-only key', 'API_KEY_READ_ONLY', '4'],
      ['From an address not allowed', 'API_KEY_IP_NOT_ALLOWED', '2'],
      ['Not allowed by the key’s role', '403', '1'],
    ]);
    expect(screen.getByText('203.0.113.7')).toBeTruthy();
    expect(screen.getByText(/\(1 hour ago\)$/)).toBeTruthy();
  });

  it('says so when nothing was refused and the key was never used', () => {
    render(<UsageDetails usage={usage(30)} t={t} />);
    expect(screen.getByRole('heading', { name: 'Last 30 days: 0 answered, 0 refused' })).toBeTruthy();
    expect(screen.getByText('No refusals.')).toBeTruthy();
    expect(screen.getByText('Never used')).toBeTruthy();
  });
});

describe('UsageModal', () => {
  it("fetches the key's last 30 days when opened", async () => {
    const api = fakeApi();
    api.usage.mockResolvedValue(usage(30, DAYS));
    render(<UsageModal apiKey={key({ id: 4, name: 'dashboard' })} api={api} t={t} onClose={() => undefined} />);
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText('Usage: dashboard')).toBeTruthy();
    await waitFor(() => expect(within(dialog).getByRole('heading', { name: 'Last 30 days: 147 answered, 13 refused' })).toBeTruthy());
    expect(api.usage).toHaveBeenCalledWith(4, 30);
  });

  it("shows the server's error instead of a chart", async () => {
    const api = fakeApi();
    api.usage.mockRejectedValue({ response: { data: { errors: [{ message: 'API key not found' }] } } });
    render(<UsageModal apiKey={key()} api={api} t={t} onClose={() => undefined} />);
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('API key not found'));
    expect(document.querySelector('.keyward-usage-chart')).toBeNull();
    fireEvent.click(screen.getByText('Close'));
  });
});

describe('refusalLabel', () => {
  it('names every refusal a key can meet, and the host’s by status', () => {
    expect(refusalLabel('API_KEY_IP_NOT_ALLOWED', t)).toBe('From an address not allowed');
    expect(refusalLabel('API_KEY_TOO_MANY_FAILURES', t)).toBe('Too many refused keys from the address');
    expect(refusalLabel('403', t)).toBe('Not allowed by the key’s role');
    expect(refusalLabel('404', t)).toBe('Refused by the app (HTTP 404)');
    expect(refusalLabel('500', t)).toBe('Server error (HTTP 500)');
    expect(refusalLabel('SOMETHING_NEW', t)).toBe('SOMETHING_NEW');
    // Recorded codes are data: none finds what every object inherits.
    expect(refusalLabel('constructor', t)).toBe('constructor');
    expect(refusalLabel('__proto__', t)).toBe('__proto__');
  });

  it('adds up the days', () => {
    expect(usageTotals(DAYS)).toEqual({
      ok: 147,
      refused: 13,
      byReason: [
        { code: 'API_KEY_RATE_LIMITED', count: 6 },
        { code: 'API_KEY_READ_ONLY', count: 4 },
        { code: 'API_KEY_IP_NOT_ALLOWED', count: 2 },
        { code: '403', count: 1 },
      ],
    });
  });
});
