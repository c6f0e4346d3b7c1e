// Small text helpers of the chat view.

export interface SnippetPart {
  text: string;
  mark: boolean;
}

/** Splits a search snippet at its \u0002…\u0003 markers, for rendering as text + <mark>. */
export function splitSnippet(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let mark = false;
  let text = '';
  const push = () => {
    if (text) parts.push({ text, mark });
    text = '';
  };
  for (const char of snippet) {
    if (char === '\u0002') {
      push();
      mark = true;
    } else if (char === '\u0003') {
      push();
      mark = false;
    } else {
      text += char;
    }
  }
  push();
  return parts;
}

/** Copies text to the clipboard; false when the webview refused. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Fall back to a selection copy below.
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand('copy');
  } catch {
    copied = false;
  }
  area.remove();
  return copied;
}

/** Reads a file as base64 without the data: prefix. */
export function fileToBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result ?? '');
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read.'));
    reader.readAsDataURL(file);
  });
}

export function formatCount(value: number | null): string {
  return value === null ? '—' : value.toLocaleString();
}

/** The last part of a path, for naming a file. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}
