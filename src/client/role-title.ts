import { NAMESPACE } from '../constants';
import type { Translate } from './api';

// The host stores its own roles' titles as i18n templates, such as `{{t("Admin")}}`.
const TEMPLATE = /^\s*\{\{\s*t\(\s*(["'])(.*?)\1\s*\)\s*\}\}\s*$/;

/** A role's title as the host shows it: templates translated with the host's own strings. */
export function roleTitle(title: string, t: Translate): string {
  const template = TEMPLATE.exec(title);
  return template ? t(template[2], { ns: [NAMESPACE, 'client'] }) : t(title);
}
