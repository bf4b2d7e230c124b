import { describe, expect, it, vi } from 'vitest';
import { ChangeStamp, type StampStore } from '../cluster/change-stamp';

/** One counter, as the nodes of a cluster share it in Redis. */
function sharedCounter() {
  let value = 0;
  const store: StampStore = { increment: async () => ++value, read: async () => value };
  return { store, reset: () => (value = 0) };
}

function node(store: StampStore) {
  const onChange = vi.fn();
  const stamp = new ChangeStamp(store, { onChange, onError: (error) => expect.fail(String(error)) });
  return { stamp, onChange };
}

describe('the change stamp', () => {
  it('drops the cache for changes made elsewhere, not for its own', async () => {
    const { store } = sharedCounter();
    const one = node(store);
    const two = node(store);
    await Promise.all([one.stamp.start(), two.stamp.start()]);

    await one.stamp.bump();
    await Promise.all([one.stamp.poll(), two.stamp.poll()]);
    expect(one.onChange).not.toHaveBeenCalled();
    expect(two.onChange).toHaveBeenCalledTimes(1);

    // Both change before either looks: each must still see the other's.
    await one.stamp.bump();
    await two.stamp.bump();
    await Promise.all([one.stamp.poll(), two.stamp.poll()]);
    expect(one.onChange).toHaveBeenCalledTimes(1);
    expect(two.onChange).toHaveBeenCalledTimes(2);

    await Promise.all([one.stamp.poll(), two.stamp.poll()]);
    expect(one.onChange).toHaveBeenCalledTimes(1);
    expect(two.onChange).toHaveBeenCalledTimes(2);
    await Promise.all([one.stamp.stop(), two.stamp.stop()]);
  });

  it('counts a counter that went back (evicted, or Redis emptied) as a change', async () => {
    const counter = sharedCounter();
    const one = node(counter.store);
    await one.stamp.bump();
    await one.stamp.start();
    counter.reset();
    await one.stamp.poll();
    expect(one.onChange).toHaveBeenCalledTimes(1);
    await one.stamp.stop();
  });

  it('looks once a second on its own, and stops', async () => {
    vi.useFakeTimers();
    try {
      const { store } = sharedCounter();
      const one = node(store);
      const two = node(store);
      await two.stamp.start();
      await one.stamp.bump();
      await vi.advanceTimersByTimeAsync(1000);
      expect(two.onChange).toHaveBeenCalledTimes(1);
      await two.stamp.stop();
      await one.stamp.bump();
      await vi.advanceTimersByTimeAsync(5000);
      expect(two.onChange).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
