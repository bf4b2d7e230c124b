import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import React from 'react';
import { describe, expect, it, vi } from 'vitest';
import { AddKeyModal } from '../AddKeyModal';
import { fakeApi, t } from './fakes';

function renderModal(api = fakeApi()) {
  const onCreated = vi.fn();
  render(<AddKeyModal open api={api} t={t} onCancel={vi.fn()} onCreated={onCreated} />);
  return { api, onCreated };
}

/** Opens the antd select that follows the label and returns its option labels. */
async function openSelect(label: string) {
  const item = screen.getByText(label).closest('.ant-form-item') as HTMLElement;
  fireEvent.mouseDown(item.querySelector('.ant-select-selector')!);
  await waitFor(() => expect(document.querySelector('.ant-select-dropdown:not(.ant-select-dropdown-hidden)')).toBeTruthy());
  const dropdowns = document.querySelectorAll('.ant-select-dropdown:not(.ant-select-dropdown-hidden)');
  const dropdown = dropdowns[dropdowns.length - 1] as HTMLElement;
  return [...dropdown.querySelectorAll('.ant-select-item-option')].map((option) => option.textContent);
}

async function choose(label: string, option: string) {
  await openSelect(label);
  const dropdowns = document.querySelectorAll('.ant-select-dropdown:not(.ant-select-dropdown-hidden)');
  fireEvent.click(within(dropdowns[dropdowns.length - 1] as HTMLElement).getByText(option));
}

describe('AddKeyModal', () => {
  it("offers the user's own roles by title", async () => {
    renderModal();
    await waitFor(() => expect(screen.getByText('Role')).toBeTruthy());
    await waitFor(async () => expect(await openSelect('Role')).toEqual(['To Dos API Role', 'Member']));
  });

  it('offers 1, 7, 30, 90 days, a custom date and never, warning about never', async () => {
    renderModal();
    expect(await openSelect('Expires')).toEqual(['1 day', '7 days', '30 days', '90 days', 'Custom date', 'Never']);
    expect(screen.queryByText(/never expires works until you delete it/)).toBeNull();
    fireEvent.click(screen.getByTitle('Never'));
    await waitFor(() => expect(screen.getByText(/never expires works until you delete it/)).toBeTruthy());
  });

  it('asks for a date when the expiry is custom', async () => {
    const { api } = renderModal();
    fireEvent.change(screen.getByPlaceholderText('What will use this key?'), { target: { value: 'x' } });
    await choose('Expires', 'Custom date');
    await waitFor(() => expect(screen.getByText('Expiry date')).toBeTruthy());
    await waitFor(() => expect(api.roles).toHaveBeenCalled());
    await choose('Role', 'Member');
    fireEvent.click(screen.getByText('Submit'));
    await waitFor(() => expect(screen.getByText('Pick a date.')).toBeTruthy());
    expect(api.create).not.toHaveBeenCalled();
  });

  it('validates the name before calling the server', async () => {
    const { api } = renderModal();
    fireEvent.click(screen.getByText('Submit'));
    await waitFor(() => expect(screen.getByText('Name is required.')).toBeTruthy());
    expect(screen.getByText('Pick one of your roles.')).toBeTruthy();
    fireEvent.change(screen.getByPlaceholderText('What will use this key?'), { target: { value: 'x'.repeat(101) } });
    await waitFor(() => expect(screen.getByText('Name must be at most 100 characters.')).toBeTruthy());
    expect(api.create).not.toHaveBeenCalled();
  });

  it('sends a trimmed name, the role and the expiry', async () => {
    const { api, onCreated } = renderModal();
    fireEvent.change(screen.getByPlaceholderText('What will use this key?'), { target: { value: '  ci script  ' } });
    await waitFor(() => expect(api.roles).toHaveBeenCalled());
    await choose('Role', 'To Dos API Role');
    fireEvent.click(screen.getByText('Submit'));
    await waitFor(() => expect(onCreated).toHaveBeenCalled());
    expect(api.create).toHaveBeenCalledWith({
      name: 'ci script',
      role: { name: 'todos-api' },
      expiresIn: '30d',
      allowedIps: [],
      rateLimit: null,
      readOnly: false,
    });
    expect(onCreated.mock.calls[0][0].token).toBe('keyward_SECRET');
  });

  it("shows the server's error inline", async () => {
    const api = fakeApi();
    api.create.mockRejectedValue({ response: { data: { errors: [{ message: 'Role not found', code: 'API_KEY_ROLE_NOT_FOUND' }] } } });
    const { onCreated } = renderModal(api);
    fireEvent.change(screen.getByPlaceholderText('What will use this key?'), { target: { value: 'x' } });
    await waitFor(() => expect(api.roles).toHaveBeenCalled());
    await choose('Role', 'Member');
    fireEvent.click(screen.getByText('Submit'));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('Role not found'));
    expect(onCreated).not.toHaveBeenCalled();
  });

  it('checks allowed IPs as they are typed, and sends the restrictions', async () => {
    const { api } = renderModal();
    fireEvent.change(screen.getByPlaceholderText('What will use this key?'), { target: { value: 'dashboard' } });
    await waitFor(() => expect(api.roles).toHaveBeenCalled());
    await choose('Role', 'To Dos API Role');
    const ips = (screen.getByText('Allowed IPs').closest('.ant-form-item') as HTMLElement).querySelector('input')!;
    for (const entry of ['203.0.113.7', '2001:db8::/32', '10.0.0.0/33']) {
      fireEvent.change(ips, { target: { value: entry } });
      fireEvent.keyDown(ips, { key: 'Enter', keyCode: 13 });
    }
    await waitFor(() => expect(screen.getByText('10.0.0.0/33 is not an IP address or a CIDR range.')).toBeTruthy());
    fireEvent.click(screen.getByText('Submit'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(api.create).not.toHaveBeenCalled();

    // Remove the bad entry, then set a limit of 100 a minute and read-only.
    const bad = screen.getByTitle('10.0.0.0/33');
    fireEvent.click(bad.querySelector('.ant-select-selection-item-remove')!);
    fireEvent.change(screen.getByPlaceholderText('Requests'), { target: { value: '100' } });
    fireEvent.click(screen.getByText('Read-only'));
    fireEvent.click(screen.getByText('Submit'));
    await waitFor(() => expect(api.create).toHaveBeenCalled());
    expect(api.create.mock.calls[0][0]).toMatchObject({
      allowedIps: ['203.0.113.7', '2001:db8::/32'],
      rateLimit: { limit: 100, windowSeconds: 60 },
      readOnly: true,
    });
  });
});
