import { NAMESPACE } from '../constants';
import type { Translate } from './api';

interface I18n {
  t(text: string, options: Record<string, unknown>): string;
}

/**
 * Our texts in the host's i18n. Not escaped for HTML: React escapes what it renders, and an
 * escaped value would show as `&#x2F;` (a CIDR range the server named in a message).
 */
export const translator =
  (i18n: I18n): Translate =>
  (text, options) =>
    i18n.t(text, { ns: NAMESPACE, interpolation: { escapeValue: false }, ...options });
