import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import React from 'react';
import { describe, expect, it } from 'vitest';
import { ApiKeysPage } from '../ApiKeysPage';
import { dayAgo, fakeApi, key, t, usage } from './fakes';

const apiBaseUrl = 'http://localhost:13000/api/';

function row(name: string) {
  return screen.getByText(name).closest('tr') as HTMLElement;
}

describe('ApiKeysPage', () => {
  it('shows a helpful empty state, which sends no one to put a key in a JS block', async () => {
    render(<ApiKeysPage api={fakeApi([])} t={t} apiBaseUrl={apiBaseUrl} />);
    await waitFor(() => expect(screen.getByText(/No API keys yet/)).toBeTruthy());
    expect(screen.queryByText(/JS block/)).toBeNull();
  });

  it('marks active, expired, disabled and never-expiring keys', async () => {
    const keys = [
      key({ id: 1, name: 'fresh', lastUsedAt: new Date().toISOString() }),
      key({ id: 2, name: 'old', expiresAt: new Date(Date.now() - 86400_000).toISOString() }),
      key({ id: 3, name: 'off', enabled: false }),
      key({ id: 4, name: 'forever', expiresAt: null }),
    ];
    render(<ApiKeysPage api={fakeApi(keys)} t={t} apiBaseUrl={apiBaseUrl} locale="en-US" />);
    await waitFor(() => expect(screen.getByText('fresh')).toBeTruthy());
    expect(within(row('fresh')).getByText('Active')).toBeTruthy();
    expect(within(row('fresh')).getByText('To Dos API Role')).toBeTruthy();
    expect(within(row('fresh')).getByText('keyward_…Ab12')).toBeTruthy();
    expect(within(row('fresh')).getByText('in 7 days')).toBeTruthy();
    expect(within(row('old')).getAllByText('Expired')).toHaveLength(2);
    expect(within(row('off')).getByText('Disabled')).toBeTruthy();
    expect(within(row('off')).getByText('Enable')).toBeTruthy();
    expect(within(row('forever')).getByText('Never expires')).toBeTruthy();
    expect(within(row('forever')).getByText('Never used')).toBeTruthy();
  });

  it('disables a key and deletes one after confirmation', async () => {
    const api = fakeApi([key({ id: 7, name: 'victim' })]);
    render(<ApiKeysPage api={api} t={t} apiBaseUrl={apiBaseUrl} />);
    await waitFor(() => expect(screen.getByText('victim')).toBeTruthy());
    fireEvent.click(within(row('victim')).getByText('Disable'));
    await waitFor(() => expect(api.update).toHaveBeenCalledWith(7, { enabled: false }));
    fireEvent.click(within(row('victim')).getByText('Delete'));
    expect(api.destroy).not.toHaveBeenCalled();
    await waitFor(() => expect(screen.getByText('Delete this API key?')).toBeTruthy());
    const confirm = document.querySelector('.ant-popconfirm-buttons .ant-btn-dangerous') as HTMLElement;
    fireEvent.click(confirm);
    await waitFor(() => expect(api.destroy).toHaveBeenCalledWith(7));
  });

  it('shows a failed action instead of swallowing it', async () => {
    const api = fakeApi([key({ id: 7, name: 'victim' })]);
    api.update.mockRejectedValue({ response: { data: { errors: [{ message: 'API key not found' }] } } });
    render(<ApiKeysPage api={api} t={t} apiBaseUrl={apiBaseUrl} />);
    await waitFor(() => expect(screen.getByText('victim')).toBeTruthy());
    fireEvent.click(within(row('victim')).getByText('Disable'));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('API key not found'));
  });

  it('pages through many keys', async () => {
    const api = fakeApi([key()]);
    api.list.mockImplementation(async (page: number) => ({
      data: [key({ id: page, name: `page ${page}` })],
      meta: { count: 45, page, pageSize: 20 },
    }));
    render(<ApiKeysPage api={api} t={t} apiBaseUrl={apiBaseUrl} />);
    await waitFor(() => expect(screen.getByText('page 1')).toBeTruthy());
    fireEvent.click(screen.getByTitle('3'));
    await waitFor(() => expect(screen.getByText('page 3')).toBeTruthy());
    expect(api.list).toHaveBeenLastCalledWith(3, 20);
  });

  it('tells an administrator once about keys taken over from the built-in plugin, and erases its copies', async () => {
    const api = fakeApi([key({ id: 5, name: 'nightly', imported: true, hint: 'eyJ…x9Zq' })]);
    api.handover.mockResolvedValue({ pending: true, imported: 1, skipped: 2, plaintextCopies: 1 });
    render(<ApiKeysPage api={api} t={t} apiBaseUrl={apiBaseUrl} />);
    await waitFor(() => expect(screen.getByText(/API keys were taken over from the built-in "Auth: API keys" plugin, now switched off: 1\./)).toBeTruthy());
    expect(screen.getByText(/left behind: 2/)).toBeTruthy();
    expect(within(row('nightly')).getByText('Imported')).toBeTruthy();
    expect(within(row('nightly')).getByText('eyJ…x9Zq')).toBeTruthy();
    fireEvent.click(screen.getByText('Erase plain-text copies'));
    expect(api.eraseBuiltInCopies).not.toHaveBeenCalled();
    await waitFor(() => expect(screen.getByText('Erase the plain-text copies?')).toBeTruthy());
    fireEvent.click(document.querySelector('.ant-popconfirm-buttons .ant-btn-dangerous') as HTMLElement);
    await waitFor(() => expect(api.eraseBuiltInCopies).toHaveBeenCalled());
    await waitFor(() => expect(screen.queryByText(/taken over from/)).toBeNull());
  });

  it('shows no notice to those who may not see it', async () => {
    const api = fakeApi([key({ name: 'mine' })]);
    render(<ApiKeysPage api={api} t={t} apiBaseUrl={apiBaseUrl} />);
    await waitFor(() => expect(screen.getByText('mine')).toBeTruthy());
    expect(api.handover).toHaveBeenCalled();
    expect(screen.queryByText(/taken over from/)).toBeNull();
    expect(screen.queryByText('Imported')).toBeNull();
  });

  it('shows each key’s restrictions at a glance and edits them', async () => {
    const api = fakeApi([
      key({ id: 8, name: 'narrow', allowedIps: ['10.0.0.0/8', '203.0.113.7'], rateLimit: { limit: 100, windowSeconds: 60 }, readOnly: true }),
      key({ id: 9, name: 'wide', allowedIps: [], rateLimit: null, readOnly: false }),
    ]);
    render(<ApiKeysPage api={api} t={t} apiBaseUrl={apiBaseUrl} />);
    await waitFor(() => expect(screen.getByText('narrow')).toBeTruthy());
    expect(within(row('narrow')).getByText('2 IPs')).toBeTruthy();
    expect(within(row('narrow')).getByText('100 per minute')).toBeTruthy();
    expect(within(row('narrow')).getByText('Read-only')).toBeTruthy();
    expect(within(row('wide')).getByText('None')).toBeTruthy();
    expect(within(row('narrow')).getByText('2 IPs')).toBeTruthy();
    fireEvent.click(within(row('narrow')).getByText('Restrictions'));
    await waitFor(() => expect(screen.getByText('Restrictions: narrow')).toBeTruthy());
    fireEvent.click(screen.getByText('Save'));
    await waitFor(() =>
      expect(api.update).toHaveBeenCalledWith(8, {
        allowedIps: ['10.0.0.0/8', '203.0.113.7'],
        rateLimit: { limit: 100, windowSeconds: 60 },
        readOnly: true,
      }),
    );
  });

  it('shows one allowed address as itself', async () => {
    render(<ApiKeysPage api={fakeApi([key({ name: 'single', allowedIps: ['203.0.113.7'] })])} t={t} apiBaseUrl={apiBaseUrl} />);
    await waitFor(() => expect(screen.getByText('single')).toBeTruthy());
    expect(within(row('single')).getByText('203.0.113.7')).toBeTruthy();
    expect(within(row('single')).queryByText(/IPs/)).toBeNull();
  });

  it("shows each key's last 30 days as a sparkline, and its usage chart on a click", async () => {
    const api = fakeApi([key({ id: 1, name: 'busy', lastUsedAt: null }), key({ id: 2, name: 'idle' })]);
    // Used two hours ago, not yet written to the key's row: the usage answer counts it in.
    const lastUsedAt = new Date(Date.now() - 2 * 3600_000).toISOString();
    api.usage.mockImplementation(async (id: number, days: number) =>
      id === 1
        ? usage(days, [{ date: dayAgo(0), ok: 12, refused: 3, refusedBy: { API_KEY_RATE_LIMITED: 3 } }], { lastUsedAt, lastUsedIp: '203.0.113.7' })
        : usage(days),
    );
    render(<ApiKeysPage api={api} t={t} apiBaseUrl={apiBaseUrl} locale="en-US" />);
    await waitFor(() => expect(within(row('busy')).getByRole('img', { name: 'Last 30 days: 12 answered, 3 refused' })).toBeTruthy());
    expect(within(row('busy')).getByText('2 hours ago')).toBeTruthy();
    expect(within(row('busy')).queryByText('Never used')).toBeNull();
    expect(within(row('idle')).getByText('Never used')).toBeTruthy();
    expect(row('busy').querySelectorAll('rect[data-kind="ok"]')).toHaveLength(1);
    expect(row('busy').querySelectorAll('rect[data-kind="refused"]')).toHaveLength(1);
    await waitFor(() => expect(within(row('idle')).getByRole('img', { name: 'Last 30 days: 0 answered, 0 refused' })).toBeTruthy());
    expect(row('idle').querySelectorAll('rect[data-kind]')).toHaveLength(0);
    expect(api.usage).toHaveBeenCalledWith(1, 30);
    expect(api.usage).toHaveBeenCalledWith(2, 30);

    fireEvent.click(within(row('busy')).getByTitle('Show usage'));
    const dialog = await screen.findByRole('dialog');
    await waitFor(() => expect(within(dialog).getByRole('heading', { name: 'Last 30 days: 12 answered, 3 refused' })).toBeTruthy());
    expect(within(dialog).getByText('Usage: busy')).toBeTruthy();
    expect(within(dialog).getByText('Over its rate limit')).toBeTruthy();
    expect(within(dialog).getByText('203.0.113.7')).toBeTruthy();
    expect(dialog.querySelectorAll('.keyward-usage-day')).toHaveLength(30);
  });

  it('shows a dash where usage cannot be fetched, and the rest of the page as usual', async () => {
    const api = fakeApi([key({ id: 1, name: 'ok' }), key({ id: 2, name: 'broken' })]);
    api.usage.mockImplementation(async (id: number, days: number) => {
      if (id === 2) {
        throw { response: { status: 500, data: { errors: [{ message: 'Internal Server Error' }] } } };
      }
      return usage(days);
    });
    render(<ApiKeysPage api={api} t={t} apiBaseUrl={apiBaseUrl} />);
    await waitFor(() => expect(within(row('broken')).getByLabelText('Usage not available')).toBeTruthy());
    expect(within(row('broken')).getByText('–')).toBeTruthy();
    expect(within(row('broken')).getByText('Active')).toBeTruthy();
    expect(within(row('broken')).getByText('Disable')).toBeTruthy();
    await waitFor(() => expect(within(row('ok')).getByRole('img', { name: /^Last 30 days/ })).toBeTruthy());
    // No error banner: the failure stays in its cell.
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('survives an answer without days', async () => {
    const api = fakeApi([key({ id: 1, name: 'odd' })]);
    api.usage.mockResolvedValue(undefined as never);
    render(<ApiKeysPage api={api} t={t} apiBaseUrl={apiBaseUrl} />);
    await waitFor(() => expect(within(row('odd')).getByText('–')).toBeTruthy());
  });
});
