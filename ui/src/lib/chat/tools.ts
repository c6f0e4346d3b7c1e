// What a tool-call card shows and offers, apart from the markup, so it can be tested.
import type { ToolCallView } from '../bindings/ToolCallView';
import type { MessageKey } from '../i18n/language.svelte';

export type ToolAction = 'confirm' | 'decline';

/** The i18n key naming what a tool does. */
export function toolTitleKey(name: string): MessageKey {
  switch (name) {
    case 'generate_image':
      return 'tools.generateImage';
    case 'edit_image':
      return 'tools.editImage';
    case 'generate_video':
      return 'tools.generateVideo';
    case 'speak':
      return 'tools.speak';
    case 'transcribe':
      return 'tools.transcribe';
    case 'search_library':
      return 'tools.searchLibrary';
    default:
      return 'tools.unknown';
  }
}

/** The i18n key of the state badge. */
export function stateKey(call: ToolCallView): MessageKey {
  return `tools.state.${call.state}`;
}

/** Confirm and Decline exist only while the call waits for the person. */
export function actionsFor(call: ToolCallView): ToolAction[] {
  return call.state === 'pending' ? ['confirm', 'decline'] : [];
}

/** What the result area shows. */
export function resultKind(call: ToolCallView): 'image' | 'video' | 'audio' | 'text' | 'progress' | 'none' {
  if (call.state === 'running') {
    return call.name === 'generate_video' || call.outputs.length === 0 ? 'progress' : 'none';
  }
  if (call.state !== 'done') return 'none';
  const mime = call.outputs[0]?.mime ?? '';
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('video/')) return 'video';
  if (mime.startsWith('audio/')) return 'audio';
  return call.result ? 'text' : 'none';
}

/** Parameters as short "name: value" chips, the model's own names kept. */
export function paramChips(call: ToolCallView): string[] {
  return call.params.map((p) => `${p.name.replace(/_/g, ' ')}: ${p.value}`);
}

/** A transcript's text without the "Transcript of audio N:" lead the model gets. */
export function transcriptText(call: ToolCallView): string | null {
  if (!call.result) return null;
  return call.result.replace(/^Transcript of audio \d+:\s*/, '');
}
