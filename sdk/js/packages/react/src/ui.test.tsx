// The prebuilt React components: mounted in their div, remounted when the configuration changes, calling the latest callbacks.
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFakeServer, ok } from '../../js/test/fake-server';
import { newClient } from '../../js/test/helpers';
import { StytchLogin, TesseraLogin, TesseraPasskeyRegistration, TesseraProvider, type LoginConfig } from './index';

afterEach(cleanup);

describe('<TesseraLogin>', () => {
  it('renders the configured products, follows config changes, and calls the latest onEvent', async () => {
    const server = createFakeServer();
    server.on('POST /magic_links/email/login_or_create', () => ok({ request_id: 'r', status_code: 200 }));
    const client = newClient(server);
    const first = vi.fn();
    const second = vi.fn();
    const tree = (config: LoginConfig, onEvent: () => void) =>
      createElement(TesseraProvider, { tessera: client }, createElement(TesseraLogin, { config, callbacks: { onEvent } }));
    const { rerender } = render(tree({ products: ['emailMagicLinks'] }, first));
    expect(screen.getAllByRole('button').map((b) => b.textContent)).toEqual(['Continue with email']);
    rerender(tree({ products: ['oauth', 'emailMagicLinks'], oauthOptions: { providers: ['google'] } }, second));
    expect(screen.getAllByRole('button').map((b) => b.textContent)).toEqual(['Continue with Google', 'Continue with email']);
    fireEvent.input(screen.getByLabelText('Email'), { target: { value: 'ada@example.com' } });
    await act(async () => fireEvent.submit(screen.getByLabelText('Email').closest('form')!));
    await screen.findByRole('heading', { name: 'Check your email' });
    expect(first).not.toHaveBeenCalled();
    expect(second).toHaveBeenCalledWith(expect.objectContaining({ type: 'MAGIC_LINK_LOGIN_OR_CREATE' }));
    expect(StytchLogin).toBe(TesseraLogin);
  });

  it('asks for a login before offering a passkey', () => {
    const client = newClient(createFakeServer());
    render(createElement(TesseraProvider, { tessera: client }, createElement(TesseraPasskeyRegistration, {})));
    expect(screen.getByText('Log in first to create a passkey.')).toBeTruthy();
  });
});
