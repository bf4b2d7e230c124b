import { Typography } from 'antd';
import React, { useEffect, useRef, useState } from 'react';
import type { ApiKeyRecord, KeysApi, KeyUsage, Translate } from './api';
import { SPARK_HEIGHT, Sparkline, sparklineWidth } from './UsageChart';
import { USAGE_DAYS_SHOWN } from './UsageModal';

export interface UsageCellProps {
  apiKey: ApiKeyRecord;
  api: KeysApi;
  t: Translate;
  locale?: string;
  onOpen(key: ApiKeyRecord): void;
  /** When the key was last used ("2 hours ago"), or that it never was for null. */
  renderLastUsed(date: string | null): React.ReactNode;
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
 * was used since), over when the key was last used. A failed fetch shows a dash: the rest of
 * the page does not depend on it.
 */
export function UsageCell({ apiKey, api, t, locale, onOpen, renderLastUsed }: UsageCellProps) {
  const ref = useRef<HTMLDivElement>(null);
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
    content = <span style={{ display: 'inline-block', width: sparklineWidth(USAGE_DAYS_SHOWN), height: SPARK_HEIGHT }} />;
  } else {
    content = (
      <button
        type="button"
        className="keyward-usage-button"
        title={t('Show usage')}
        onClick={() => onOpen(apiKey)}
        style={{ display: 'block', padding: 0, border: 0, background: 'none', cursor: 'pointer' }}
      >
        <Sparkline days={usage.data} t={t} locale={locale} />
      </button>
    );
  }
  // The usage answer counts uses not yet written to the key's row: the fresher of the two.
  const lastUsed = usage?.meta.lastUsedAt ?? lastUsedAt;
  return (
    <div ref={ref} className="keyward-usage-cell">
      <div style={{ minHeight: SPARK_HEIGHT, display: 'flex', alignItems: 'flex-end' }}>{content}</div>
      <div style={{ fontSize: 12, marginTop: 4, whiteSpace: 'nowrap' }}>
        {lastUsed ? (
          <>
            {t('Last used')}: {renderLastUsed(lastUsed)}
          </>
        ) : (
          renderLastUsed(null)
        )}
      </div>
    </div>
  );
}
