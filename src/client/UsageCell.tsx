import { Typography } from 'antd';
import React, { useEffect, useRef, useState } from 'react';
import type { ApiKeyRecord, KeysApi, KeyUsage, Translate } from './api';
import { formatCount, Sparkline, usageTotals } from './UsageChart';
import { USAGE_DAYS_SHOWN } from './UsageModal';

export interface UsageCellProps {
  apiKey: ApiKeyRecord;
  api: KeysApi;
  t: Translate;
  locale?: string;
  onOpen(key: ApiKeyRecord): void;
}

/** Calls back once the element is on screen; at once where the browser cannot tell. */
function useOnScreen(ref: React.RefObject<Element>): boolean {
  const [seen, setSeen] = useState(typeof IntersectionObserver === 'undefined');
  useEffect(() => {
    if (seen || !ref.current) {
      return;
    }
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) {
        setSeen(true);
        observer.disconnect();
      }
    });
    observer.observe(ref.current);
    return () => observer.disconnect();
  }, [ref, seen]);
  return seen;
}

/**
 * A row's 30-day sparkline, fetched when the row is first on screen (and again when the key
 * was used since). A failed fetch shows a dash: the rest of the page does not depend on it.
 */
export function UsageCell({ apiKey, api, t, locale, onOpen }: UsageCellProps) {
  const ref = useRef<HTMLSpanElement>(null);
  const onScreen = useOnScreen(ref);
  const [usage, setUsage] = useState<KeyUsage | null>();
  const { id, lastUsedAt } = apiKey;

  useEffect(() => {
    if (!onScreen) {
      return;
    }
    let current = true;
    api.usage(id, USAGE_DAYS_SHOWN).then(
      (result) => current && setUsage(Array.isArray(result?.data) ? result : null),
      () => current && setUsage(null),
    );
    return () => {
      current = false;
    };
  }, [api, id, lastUsedAt, onScreen]);

  let content: React.ReactNode;
  if (usage === null) {
    content = (
      <Typography.Text type="secondary" aria-label={t('Usage not available')}>
        –
      </Typography.Text>
    );
  } else if (usage === undefined) {
    // Holds the sparkline's place while it loads, so the row does not jump.
    content = <span style={{ display: 'inline-block', width: 119, height: 24 }} />;
  } else {
    const { ok, refused } = usageTotals(usage.data);
    content = (
      <button
        type="button"
        className="keyward-usage-button"
        title={t('Show usage')}
        onClick={() => onOpen(apiKey)}
        style={{ display: 'inline-flex', alignItems: 'flex-end', gap: 8, padding: 0, border: 0, background: 'none', cursor: 'pointer', font: 'inherit', color: 'inherit' }}
      >
        <Sparkline days={usage.data} t={t} locale={locale} />
        <Typography.Text type="secondary" style={{ fontSize: 12, lineHeight: 1 }}>
          {formatCount(ok + refused, locale)}
        </Typography.Text>
      </button>
    );
  }
  return (
    <span ref={ref} className="keyward-usage-cell" style={{ display: 'inline-block', minHeight: 24 }}>
      {content}
    </span>
  );
}
