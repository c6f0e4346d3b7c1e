import { render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { setLanguage } from '../i18n/language.svelte';
import ErrorBox from './ErrorBox.svelte';

beforeEach(() => setLanguage('en'));

describe('ErrorBox', () => {
  it('says "offline" when the platform cannot be reached', () => {
    render(ErrorBox, {
      error: { code: 'network', message: 'Could not reach the platform: connection refused', request_id: null },
      testid: 'e',
    });
    const box = screen.getByTestId('e');
    expect(box).toHaveTextContent('Offline — the platform cannot be reached');
    expect(box).toHaveTextContent('Everything already made is still here to browse');
    expect(box).toHaveAttribute('data-offline', 'true');
  });

  it('says "offline" even where the caller names what failed', () => {
    render(ErrorBox, {
      error: { code: 'network', message: 'Could not reach the platform', request_id: null },
      title: 'The reply failed',
      testid: 'e',
    });
    expect(screen.getByTestId('e')).toHaveTextContent('Offline — the platform cannot be reached');
  });

  it('adds the offline hint to a gateway that does not answer', () => {
    render(ErrorBox, {
      error: { code: 'gateway_down', message: 'The gateway is down (502)', request_id: 'req_1' },
      testid: 'e',
    });
    const box = screen.getByTestId('e');
    expect(box).toHaveTextContent('The platform is not responding');
    expect(box).toHaveTextContent('This needs the platform.');
    expect(box).toHaveTextContent('req_1');
  });

  it('keeps other errors as they were, and a caller hint over the offline one', () => {
    render(ErrorBox, { error: { code: 'unauthorized', message: 'No.', request_id: null }, testid: 'a' });
    expect(screen.getByTestId('a')).not.toHaveAttribute('data-offline');
    expect(screen.getByTestId('a')).not.toHaveTextContent('This needs the platform.');

    render(ErrorBox, { error: { code: 'network', message: '', request_id: null }, hint: 'Check the proxy.', testid: 'b' });
    expect(screen.getByTestId('b')).toHaveTextContent('Check the proxy.');
    expect(screen.getByTestId('b')).not.toHaveTextContent('This needs the platform.');
  });
});
