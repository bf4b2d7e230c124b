import type { Rule } from 'antd/es/form';
import { NAME_MAX_LENGTH } from '../constants';
import type { Translate } from './api';

/** A key's name, as the server checks it: present once trimmed, and not too long. */
export function nameRules(t: Translate): Rule[] {
  return [
    { required: true, whitespace: true, message: t('Name is required.') },
    { max: NAME_MAX_LENGTH, message: t('Name must be at most {{max}} characters.', { max: NAME_MAX_LENGTH }) },
  ];
}
