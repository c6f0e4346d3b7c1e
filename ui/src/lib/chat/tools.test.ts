import { describe, expect, it } from 'vitest';
import type { ToolCallView } from '../bindings/ToolCallView';
import { en } from '../i18n/en';
import { actionsFor, paramChips, resultKind, stateKey, toolTitleKey, transcriptText } from './tools';

function call(fields: Partial<ToolCallView> = {}): ToolCallView {
  return {
    message_id: 7,
    conversation_id: 1,
    call_id: 'call_1',
    name: 'generate_image',
    kind: null,
    prompt: 'a lighthouse at night',
    model: 'gpt-image-1',
    params: [{ name: 'aspect', value: 'portrait' }],
    state: 'pending',
    error: null,
    generation_id: null,
    generation_status: null,
    progress: 0,
    outputs: [],
    inputs: [],
    cost: null,
    result: null,
    ...fields,
  };
}

const image = { id: 3, sha256: 'ab', mime: 'image/png', size_bytes: 10, width: 1, height: 1, path: '/m/a.png', thumbnail_path: null, original_name: null };

describe('tool call cards', () => {
  it('offer Confirm and Decline only while the call waits', () => {
    expect(actionsFor(call())).toEqual(['confirm', 'decline']);
    for (const state of ['running', 'done', 'declined', 'failed', 'invalid'] as const) {
      expect(actionsFor(call({ state }))).toEqual([]);
    }
  });

  it('show the result by what the call made', () => {
    expect(resultKind(call({ state: 'running' }))).toBe('progress');
    expect(resultKind(call({ state: 'done', outputs: [image] }))).toBe('image');
    expect(resultKind(call({ state: 'done', outputs: [{ ...image, mime: 'video/mp4' }] }))).toBe('video');
    expect(resultKind(call({ state: 'done', outputs: [{ ...image, mime: 'audio/mpeg' }] }))).toBe('audio');
    expect(resultKind(call({ state: 'done', name: 'transcribe', result: 'Transcript of audio 4: hello' }))).toBe('text');
    expect(resultKind(call({ state: 'declined' }))).toBe('none');
    expect(resultKind(call({ state: 'running', name: 'generate_video', outputs: [] }))).toBe('progress');
  });

  it('name every tool and state with a real message', () => {
    for (const name of ['generate_image', 'edit_image', 'generate_video', 'speak', 'transcribe', 'other']) {
      expect(en[toolTitleKey(name)]).toBeTruthy();
    }
    for (const state of ['pending', 'running', 'done', 'declined', 'failed', 'invalid'] as const) {
      expect(en[stateKey(call({ state }))]).toBeTruthy();
    }
  });

  it('show parameters readably and transcripts without the lead the model gets', () => {
    expect(paramChips(call({ params: [{ name: 'image_id', value: '3' }] }))).toEqual(['image id: 3']);
    expect(transcriptText(call({ result: 'Transcript of audio 12: good morning' }))).toBe('good morning');
    expect(transcriptText(call())).toBeNull();
  });
});
