import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import React from 'react';
import { describe, expect, it, vi } from 'vitest';
import { OneTimeKeyModal } from '../OneTimeKeyModal';
import { key, t } from './fakes';

const created = { ...key(), token: 'keyward_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGhijklm' };
const apiBaseUrl = 'http://localhost:13000/api/';

describe('OneTimeKeyModal', () => {
  it('shows the key in monospace with a warning and copies it', async () => {
    const writeText = vi.fn(async () => undefined);
    Object.assign(navigator, { clipboard: { writeText } });
    render(<OneTimeKeyModal createdKey={created} apiBaseUrl={apiBaseUrl} t={t} onClose={vi.fn()} />);
    const input = screen.getByLabelText('API key') as HTMLInputElement;
    expect(input.value).toBe(created.token);
    expect(input.style.fontFamily).toBe('monospace');
    expect(screen.getByText(/will not be shown again/)).toBeTruthy();
    fireEvent.click(screen.getByText('Copy'));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(created.token));
    expect(screen.getByText('Copied')).toBeTruthy();
  });

  it("gives ready-to-paste curl and script examples with this app's URL", () => {
    render(<OneTimeKeyModal createdKey={created} apiBaseUrl={apiBaseUrl} t={t} onClose={vi.fn()} />);
    const curl = screen.getByTestId('curl-example').textContent!;
    expect(curl).toContain(`curl '${apiBaseUrl}todos:list'`);
    expect(curl).toContain(`-H 'Authorization: Bearer ${created.token}'`);
    const script = screen.getByTestId('fetch-example').textContent!;
    expect(script).toContain(`fetch('${apiBaseUrl}todos:list'`);
    expect(script).toContain(`Authorization: 'Bearer ${created.token}'`);
    const collection = screen.getByDisplayValue('todos');
    fireEvent.change(collection, { target: { value: 'orders' } });
    expect(screen.getByTestId('curl-example').textContent).toContain(`${apiBaseUrl}orders:list`);
    // An emptied field stays empty while typing; the examples fall back to todos meanwhile.
    fireEvent.change(collection, { target: { value: '' } });
    expect((collection as HTMLInputElement).value).toBe('');
    expect(screen.getByTestId('curl-example').textContent).toContain(`${apiBaseUrl}todos:list`);
  });

  it('keeps the key out of the JS-block example, which uses the viewer’s session, and says why', () => {
    render(<OneTimeKeyModal createdKey={created} apiBaseUrl={apiBaseUrl} t={t} onClose={vi.fn()} />);
    const js = screen.getByTestId('js-block-example').textContent!;
    expect(js).toContain(`ctx.api.request({ url: 'todos:list'`);
    expect(js).not.toContain(created.token);
    expect(js).not.toContain('Authorization');
    expect(screen.getByTestId('js-block-warning').textContent).toMatch(/everyone who views the page/);
  });

  it('asks for confirmation before closing, from Done or the close button', async () => {
    const onClose = vi.fn();
    render(<OneTimeKeyModal createdKey={created} apiBaseUrl={apiBaseUrl} t={t} onClose={onClose} />);
    fireEvent.click(screen.getByText('Done'));
    expect(screen.getByText(/Have you copied the key/)).toBeTruthy();
    fireEvent.click(screen.getByText('Go back'));
    expect(screen.queryByText(/Have you copied the key/)).toBeNull();
    fireEvent.click(screen.getByLabelText('Close'));
    expect(onClose).not.toHaveBeenCalled();
    fireEvent.click(screen.getByText('Yes, close'));
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('renders nothing without a new key: a key is never shown again', () => {
    const { container } = render(<OneTimeKeyModal createdKey={null} apiBaseUrl={apiBaseUrl} t={t} onClose={vi.fn()} />);
    expect(container.innerHTML).toBe('');
    expect(document.body.textContent).not.toContain('keyward_0123');
  });
});
