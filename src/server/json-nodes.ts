import { isObject } from './is-object';

/**
 * Every node of a parsed JSON value (a query, a body, a row's values): the value itself, each
 * item and member at any depth, and with `names` each member's name. With a stack, not by
 * recursion: a request's value may nest as deep as its sender likes.
 */
export function* jsonNodes(root: unknown, { names = false } = {}): Generator<unknown> {
  const stack = [root];
  while (stack.length) {
    const node = stack.pop();
    yield node;
    if (Array.isArray(node)) {
      stack.push(...node);
    } else if (isObject(node)) {
      for (const [name, value] of Object.entries(node)) {
        if (names) {
          stack.push(name);
        }
        stack.push(value);
      }
    }
  }
}

/** Whether text anywhere in a parsed value, a name or a value, holds a NUL character. */
export function holdsNul(root: unknown): boolean {
  for (const node of jsonNodes(root, { names: true })) {
    if (typeof node === 'string' && node.includes('\u0000')) {
      return true;
    }
  }
  return false;
}
