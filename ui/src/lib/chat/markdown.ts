// Model output as HTML: markdown-it (raw HTML off), highlight.js for code, KaTeX for
// math, and DOMPurify over the whole result before it reaches the DOM. This is the only
// source of HTML the chat inserts with {@html}.
//
// Rules the sanitizer enforces, whatever the renderer produced:
// - no script, style, iframe, object, embed, form or img elements;
// - no event handler attributes (on*), no style attribute except KaTeX's own layout
//   inside a .katex element (a fixed list of properties, plain values);
// - links keep only http, https and mailto addresses and get rel="noopener noreferrer";
// - images are never loaded: a remote image becomes a link to open it in the browser.
import markdownKatex from '@vscode/markdown-it-katex';
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/common';
import dockerfile from 'highlight.js/lib/languages/dockerfile';
import powershell from 'highlight.js/lib/languages/powershell';
import katex from 'katex';
import 'katex/dist/katex.min.css';
import MarkdownIt from 'markdown-it';
import './markdown.css';

hljs.registerLanguage('dockerfile', dockerfile);
hljs.registerLanguage('powershell', powershell);

/** The translated words the HTML carries (it is cached per language). */
export interface MarkdownLabels {
  copyCode: string;
  /** "Remote image: {host} — open in browser" with the host filled in. */
  remoteImage: (host: string) => string;
  /** Shown for an image that is not a web address; the alt text follows. */
  image: string;
}

const SAFE_HREF = /^(https?:|mailto:)/i;

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const md = new MarkdownIt({
  html: false,
  linkify: true,
  typographer: false,
  breaks: true,
});
// Only addresses with a scheme become links: "README.md" is a file name, not a site.
md.linkify.set({ fuzzyLink: false });
// The plugin hands these to KaTeX as they are. `trust: false` keeps \href, \url and the
// \html… commands from producing links, classes or styles.
const katexOptions = {
  katex,
  throwOnError: false,
  enableFencedBlocks: true,
  trust: false,
  strict: 'ignore',
  maxExpand: 500,
  maxSize: 20,
};
// A CommonJS module with `exports.default`: bundlers disagree on what its default
// import is, so take the function wherever it is.
type KatexPlugin = typeof markdownKatex;
const katexPlugin: KatexPlugin =
  typeof markdownKatex === 'function' ? markdownKatex : (markdownKatex as unknown as { default: KatexPlugin }).default;
md.use(katexPlugin, katexOptions);

let labels: MarkdownLabels = {
  copyCode: 'Copy',
  remoteImage: (host) => `Remote image: ${host} — open in browser`,
  image: 'Image',
};

md.renderer.rules.fence = (tokens, index) => {
  const token = tokens[index];
  const info = token.info ? md.utils.unescapeAll(token.info).trim() : '';
  const language = (info.split(/\s+/)[0] ?? '').toLowerCase();
  const known = language !== '' && hljs.getLanguage(language) !== undefined;
  const safeLanguage = language.replace(/[^\w+#.-]/g, '');
  let body: string;
  if (known) {
    try {
      body = hljs.highlight(token.content, { language, ignoreIllegals: true }).value;
    } catch {
      body = escapeHtml(token.content);
    }
  } else {
    body = escapeHtml(token.content);
  }
  const codeClass = known ? `hljs language-${safeLanguage}` : 'hljs';
  return (
    `<div class="code-block">` +
    `<div class="code-head"><span class="code-lang">${escapeHtml(safeLanguage)}</span>` +
    `<button type="button" class="copy-code" data-testid="copy-code" data-copy-code="" aria-label="${escapeHtml(labels.copyCode)}">${escapeHtml(labels.copyCode)}</button></div>` +
    `<pre><code class="${codeClass}">${body}</code></pre></div>\n`
  );
};

// Code indented by four spaces renders like a fence without a language.
md.renderer.rules.code_block = (tokens, index, options, env, self) => {
  const token = tokens[index];
  const fence = md.renderer.rules.fence;
  const copy = Object.assign(Object.create(Object.getPrototypeOf(token)), token, { info: '' });
  return fence ? fence([copy], 0, options, env, self) : '';
};

md.renderer.rules.image = (tokens, index) => {
  const token = tokens[index];
  const src = String(token.attrGet('src') ?? '');
  const alt = token.content;
  let url: URL | null = null;
  try {
    url = /^https?:/i.test(src) ? new URL(src) : null;
  } catch {
    url = null;
  }
  if (url) {
    const title = alt ? ` title="${escapeHtml(alt)}"` : '';
    return (
      `<a class="remote-image" data-testid="remote-image" href="${escapeHtml(url.href)}"${title}>` +
      `${escapeHtml(labels.remoteImage(url.host))}</a>`
    );
  }
  return `<span class="image-alt">${escapeHtml(alt ? `${labels.image}: ${alt}` : labels.image)}</span>`;
};

// Column alignment becomes a class: the sanitizer keeps no style attribute outside KaTeX.
md.core.ruler.push('table_align_class', (state) => {
  for (const token of state.tokens) {
    if (token.type !== 'th_open' && token.type !== 'td_open') continue;
    const align = /text-align:\s*(left|center|right)/.exec(String(token.attrGet('style') ?? ''))?.[1];
    if (!token.attrs) continue;
    token.attrs = token.attrs.filter(([name]) => name !== 'style');
    if (align) token.attrSet('class', `align-${align}`);
  }
});

// Tables scroll sideways in their own box instead of widening the message.
md.renderer.rules.table_open = () => '<div class="table-wrap"><table>\n';
md.renderer.rules.table_close = () => '</table></div>\n';

// ---- Math delimiters ----------------------------------------------------------------
// Models often write \( … \) and \[ … \]; the math plugin reads $ … $ and $$ … $$. The
// rewrite leaves code (fenced, indented by a tab or four spaces, or inline) alone.

function rewriteMathDelimiters(source: string): string {
  if (!source.includes('\\(') && !source.includes('\\[')) return source;
  const lines = source.split('\n');
  const out: string[] = [];
  let fence: string | null = null;
  let prose: string[] = [];
  const flush = () => {
    if (prose.length) out.push(rewriteProse(prose.join('\n')));
    prose = [];
  };
  for (const line of lines) {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence !== null) {
      out.push(line);
      if (marker && marker[1][0] === fence[0] && marker[1].length >= fence.length && line.trim() === marker[1]) fence = null;
      continue;
    }
    if (marker) {
      flush();
      fence = marker[1];
      out.push(line);
      continue;
    }
    prose.push(line);
  }
  flush();
  return out.join('\n');
}

function rewriteProse(text: string): string {
  // Split off inline code spans so they stay as written.
  return text
    .split(/(`+[^`]*`+)/g)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part
            .replace(/\\\[([\s\S]+?)\\\]/g, (_, body: string) => `$$${body}$$`)
            .replace(/\\\(([\s\S]+?)\\\)/g, (_, body: string) => `$${body.trim()}$`),
    )
    .join('');
}

// ---- Sanitizer -------------------------------------------------------------------------

const KATEX_STYLE_PROPERTIES = new Set([
  'height',
  'width',
  'min-width',
  'max-width',
  'vertical-align',
  'top',
  'bottom',
  'left',
  'right',
  'margin-left',
  'margin-right',
  'margin-top',
  'margin-bottom',
  'padding-left',
  'padding-right',
  'padding-top',
  'padding-bottom',
  'border-top-width',
  'border-bottom-width',
  'border-right-width',
  'border-left-width',
  'border-style',
  'border-color',
  'position',
  'color',
  'background-color',
]);

/** A declaration value made of numbers, units, words, colours and calc/rgb only. */
const KATEX_STYLE_VALUE = /^(?:[\w.#%+\s,-]|calc\(|rgba?\(|\))*$/i;

function isKatexStyle(node: Element, value: string): boolean {
  if (node.closest('.katex') === null) return false;
  return value
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .every((part) => {
      const colon = part.indexOf(':');
      if (colon < 0) return false;
      const property = part.slice(0, colon).trim().toLowerCase();
      const val = part.slice(colon + 1).trim();
      return KATEX_STYLE_PROPERTIES.has(property) && KATEX_STYLE_VALUE.test(val) && !/url|expression|\\/i.test(val);
    });
}

type Purifier = ReturnType<typeof DOMPurify>;
let purifier: Purifier | null = null;

function getPurifier(): Purifier {
  if (purifier) return purifier;
  const instance = DOMPurify(window);
  instance.addHook('uponSanitizeAttribute', (node, data) => {
    const name = data.attrName.toLowerCase();
    if (name.startsWith('on')) {
      data.keepAttr = false;
    } else if (name === 'style') {
      data.keepAttr = isKatexStyle(node as Element, data.attrValue);
    } else if (name === 'href' || name === 'xlink:href') {
      data.keepAttr = SAFE_HREF.test(data.attrValue.trim());
    }
  });
  instance.addHook('afterSanitizeAttributes', (node) => {
    if (node.nodeName === 'A') {
      const anchor = node as HTMLAnchorElement;
      const href = anchor.getAttribute('href');
      if (href !== null && !SAFE_HREF.test(href.trim())) anchor.removeAttribute('href');
      anchor.removeAttribute('target');
      anchor.setAttribute('rel', 'noopener noreferrer');
    }
  });
  purifier = instance;
  return instance;
}

const FORBID_TAGS = [
  'script',
  'style',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'img',
  'image',
  'picture',
  'source',
  'video',
  'audio',
  'form',
  'input',
  'textarea',
  'select',
  'link',
  'meta',
  'base',
  'foreignObject',
];

export function sanitize(html: string): string {
  return getPurifier().sanitize(html, {
    FORBID_TAGS,
    FORBID_ATTR: ['srcset', 'formaction', 'action', 'background', 'poster', 'target'],
    ALLOW_DATA_ATTR: true,
    ALLOW_UNKNOWN_PROTOCOLS: false,
  }) as string;
}

/** How many times markdown was actually parsed (the cache and throttle keep it low). */
export const renderStats = { count: 0 };

/** Markdown to sanitized HTML. */
export function renderMarkdown(source: string, words: MarkdownLabels = labels): string {
  renderStats.count++;
  labels = words;
  return sanitize(md.render(rewriteMathDelimiters(source)));
}

// ---- Cache -----------------------------------------------------------------------------
// A message is parsed once per (id, text, language): scrolling a virtual list mounts the
// same messages again and again, and a streaming reply must not re-render the others.

const CACHE_LIMIT = 400;
const cache = new Map<string, { source: string; html: string }>();

export function renderCached(key: string, source: string, words: MarkdownLabels): string {
  const hit = cache.get(key);
  if (hit && hit.source === source) {
    // Move to the end: the map's order is the eviction order.
    cache.delete(key);
    cache.set(key, hit);
    return hit.html;
  }
  const html = renderMarkdown(source, words);
  cache.delete(key);
  cache.set(key, { source, html });
  while (cache.size > CACHE_LIMIT) {
    const oldest = cache.keys().next().value;
    if (oldest === undefined) break;
    cache.delete(oldest);
  }
  return html;
}

export function clearMarkdownCache(): void {
  cache.clear();
}
