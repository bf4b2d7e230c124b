import { ErrorCode } from '../constants';
import type { Translate } from './api';

/**
 * Why a key's request was refused, in a few words, for each code the usage history can hold
 * (every refusal code of the server's errors). Each is a literal t() call so the locale test
 * finds each label.
 */
function labels(t: Translate): Record<ErrorCode, string> {
  return {
    [ErrorCode.INVALID]: t('Invalid key'),
    [ErrorCode.EXPIRED]: t('Key expired'),
    [ErrorCode.DISABLED]: t('Key disabled'),
    [ErrorCode.ROLE_REVOKED]: t('Owner no longer holds the key’s role'),
    [ErrorCode.OWNER_GONE]: t('Owner no longer exists'),
    [ErrorCode.ROLE_SWITCH_REFUSED]: t('Asked for another role (X-Role)'),
    [ErrorCode.IN_QUERY]: t('Key sent in the URL'),
    [ErrorCode.MANAGED_BY_KEY]: t('Tried to manage API keys'),
    [ErrorCode.ROLE_NOT_FOUND]: t('Role not found'),
    [ErrorCode.BAD_INPUT]: t('Bad input'),
    [ErrorCode.NOT_FOUND]: t('API key not found'),
    [ErrorCode.UNKNOWN_RESOURCE]: t('No such resource or action'),
    [ErrorCode.ACTION_NOT_ALLOWED]: t('Action on API keys not allowed'),
    [ErrorCode.METHOD_NOT_ALLOWED]: t('Key change sent as a GET'),
    [ErrorCode.ACCOUNT_ACTION_REFUSED]: t('Sign-in or account action'),
    [ErrorCode.CONFIGURATION_REFUSED]: t('Tried to change the app’s configuration'),
    [ErrorCode.IP_NOT_ALLOWED]: t('From an address not allowed'),
    [ErrorCode.RATE_LIMITED]: t('Over its rate limit'),
    [ErrorCode.READ_ONLY]: t('Write with a read-only key'),
    [ErrorCode.TOO_MANY_FAILURES]: t('Too many refused keys from the address'),
    [ErrorCode.BUSY]: t('Another export or import was running'),
    [ErrorCode.NO_PERMISSION]: t('Not allowed by the key’s role'),
  };
}

/**
 * A refusal's label: Keyward's codes by name; the host's own refusals, counted by HTTP status
 * (its ACL's "No permissions" is a 403), by status; anything else as it was recorded.
 */
export function refusalLabel(code: string, t: Translate): string {
  const table = labels(t);
  // Own keys only: a recorded code such as `constructor` must not find Object's.
  const known = Object.prototype.hasOwnProperty.call(table, code) ? table[code as ErrorCode] : undefined;
  if (known) {
    return known;
  }
  if (code === '403') {
    return t('Not allowed by the key’s role');
  }
  if (/^5\d\d$/.test(code)) {
    return t('Server error (HTTP {{status}})', { status: code });
  }
  if (/^\d{3}$/.test(code)) {
    return t('Refused by the app (HTTP {{status}})', { status: code });
  }
  return code;
}
