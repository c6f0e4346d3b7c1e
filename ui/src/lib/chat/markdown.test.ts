import { describe, expect, it } from 'vitest';
import { renderCached, renderMarkdown, sanitize, type MarkdownLabels } from './markdown';

const words: MarkdownLabels = {
  copyCode: 'Copy code',
  remoteImage: (host) => `Remote image: ${host} — open in browser`,
  image: 'Image',
};

function mount(source: string): HTMLElement {
  const container = document.createElement('div');
  container.className = 'markdown';
  container.innerHTML = renderMarkdown(source, words);
  return container;
}

const FORBIDDEN = 'script, iframe, object, embed, style, img, form, input, link, meta, base, frame';

function expectSafe(container: HTMLElement): void {
  expect(container.querySelectorAll(FORBIDDEN)).toHaveLength(0);
  for (const element of container.querySelectorAll('*')) {
    for (const attribute of element.attributes) {
      expect(attribute.name.toLowerCase().startsWith('on'), `${element.tagName} ${attribute.name}`).toBe(false);
      if (attribute.name === 'style') {
        // Only KaTeX's own layout, inside its box.
        expect(element.closest('.katex'), attribute.value).not.toBeNull();
        expect(attribute.value).not.toMatch(/url|expression|javascript/i);
      }
      if (attribute.name === 'href' || attribute.name === 'xlink:href' || attribute.name === 'src') {
        expect(attribute.value, `${element.tagName} ${attribute.name}`).toMatch(/^(https?:|mailto:)/i);
      }
    }
  }
  for (const anchor of container.querySelectorAll('a[href]')) {
    expect(anchor.getAttribute('rel')).toBe('noopener noreferrer');
  }
}

const XSS_CORPUS = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '<svg onload=alert(1)><circle r="5"/></svg>',
  '<iframe src="https://evil.example"></iframe>',
  '<object data="x.swf"></object><embed src="x.swf">',
  '<style>body { display: none }</style>',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>',
  '<a href="javascript:alert(1)">raw link</a>',
  '<div style="background:url(https://evil.example/x)">styled</div>',
  '[x](javascript:alert(1))',
  '[x](JaVaScRiPt:alert(1))',
  '[x](  javascript:alert(1))',
  '[x](java\tscript:alert(1))',
  '[x](&#106;avascript:alert(1))',
  '[x](&#x6A;&#x61;vascript&#58;alert(1))',
  '[x](javascript&colon;alert(1))',
  '[x](vbscript:msgbox(1))',
  '[x](data:text/html,<script>alert(1)</script>)',
  '[x](file:///etc/passwd)',
  '[x](/relative/path)',
  '[x](ftp://files.example/a)',
  '<javascript:alert(1)>',
  '<JAVASCRIPT:alert(1)>',
  '<data:text/html,<script>alert(1)</script>>',
  'javascript:alert(1) as plain text',
  '![x](javascript:alert(1))',
  '![tracker](https://evil.example/pixel.png)',
  '![inline](data:image/png;base64,iVBORw0KGgo=)',
  '[![nested](https://evil.example/a.png)](https://evil.example/)',
  '<a href="https://ok.example" onclick="alert(1)" target="_blank">ok</a>',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  '&#60;img src=x onerror=alert(1)&#62;',
  '`<script>alert(1)</script>`',
  '```html\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n```',
  '```"><img src=x onerror=alert(1)>\nx\n```',
  '$\\href{javascript:alert(1)}{click}$',
  '$\\url{javascript:alert(1)}$',
  '$\\htmlStyle{background:url(https://evil.example)}{x}$',
  '$\\htmlClass{x" onmouseover="alert(1)}{y}$',
  '$$\\color{red;background:url(https://evil.example)}{x}$$',
  '| a | b |\n|---|---|\n| <script>alert(1)</script> | [x](javascript:alert(1)) |',
  '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
  '<form action="https://evil.example"><input name=x></form>',
  '<base href="https://evil.example/">',
  '<meta http-equiv="refresh" content="0;url=https://evil.example">',
];

describe('renderMarkdown safety', () => {
  it.each(XSS_CORPUS)('neutralises %s', (source) => {
    expectSafe(mount(source));
  });

  it('neutralises the whole corpus rendered together', () => {
    const container = mount(XSS_CORPUS.join('\n\n'));
    expectSafe(container);
    expect(container.textContent).toContain('alert(1)');
  });

  it('keeps only http, https and mailto links, with rel set', () => {
    const container = mount(
      '[web](https://example.com/a?b=1) [plain](http://example.com) [mail](mailto:a@example.com) [bad](javascript:alert(1)) https://auto.example/x',
    );
    const hrefs = [...container.querySelectorAll('a[href]')].map((a) => a.getAttribute('href'));
    expect(hrefs).toEqual([
      'https://example.com/a?b=1',
      'http://example.com',
      'mailto:a@example.com',
      'https://auto.example/x',
    ]);
    expectSafe(container);
  });

  it('does not turn file names into links', () => {
    expect(mount('See README.md and main.rs').querySelector('a')).toBeNull();
  });

  it('turns a remote image into a link to open it, never an <img>', () => {
    const container = mount('Look: ![a chart](https://images.example.com/chart.png)');
    expect(container.querySelector('img')).toBeNull();
    const link = container.querySelector('[data-testid="remote-image"]');
    expect(link).not.toBeNull();
    expect(link?.tagName).toBe('A');
    expect(link).toHaveAttribute('href', 'https://images.example.com/chart.png');
    expect(link).toHaveTextContent('Remote image: images.example.com — open in browser');
    expect(link).toHaveAttribute('rel', 'noopener noreferrer');
  });

  it('sanitizes HTML given to it directly', () => {
    const container = document.createElement('div');
    container.innerHTML = sanitize(
      '<p onclick="x()" style="color:red">a<script>b</script><img src="https://e.example/x.png"><a href="javascript:x">c</a></p>',
    );
    expectSafe(container);
    expect(container.innerHTML).toBe('<p>a<a rel="noopener noreferrer">c</a></p>');
  });
});

describe('renderMarkdown features', () => {
  it('highlights a fenced code block and adds a copy button', () => {
    const container = mount('```rust\nfn main() {\n    println!("hi");\n}\n```');
    const code = container.querySelector('pre code');
    expect(code).toHaveClass('hljs', 'language-rust');
    expect(code?.querySelector('.hljs-keyword')).toHaveTextContent('fn');
    expect(code?.textContent).toBe('fn main() {\n    println!("hi");\n}\n');
    const copy = container.querySelector('[data-testid="copy-code"]');
    expect(copy?.tagName).toBe('BUTTON');
    expect(copy).toHaveAccessibleName('Copy code');
    expect(container.querySelector('.code-lang')).toHaveTextContent('rust');
  });

  it('shows code in an unknown language as plain text', () => {
    const container = mount('```nosuchlang\n<b>x</b>\n```');
    expect(container.querySelector('pre code')?.textContent).toBe('<b>x</b>\n');
    expect(container.querySelector('b')).toBeNull();
  });

  it('renders inline and display math with KaTeX', () => {
    const container = mount('Euler: $e^{i\\pi} + 1 = 0$\n\n$$\n\\int_0^1 x^2\\,dx = \\frac{1}{3}\n$$');
    expect(container.querySelectorAll('.katex')).toHaveLength(2);
    expect(container.querySelector('.katex-display')).not.toBeNull();
    expect(container.querySelector('.katex .mfrac')).not.toBeNull();
    // KaTeX lays out fractions and scripts with inline sizes; those must survive.
    expect(container.querySelector('.katex-html [style*="height"]')).not.toBeNull();
    expectSafe(container);
  });

  it('reads \\( \\) and \\[ \\] as math but not inside code', () => {
    const container = mount('Inline \\(a^2\\) and\n\n\\[b^2\\]\n\n`\\(c\\)`\n\n```\n\\[d\\]\n```');
    expect(container.querySelectorAll('.katex')).toHaveLength(2);
    expect(container.querySelector('p code')).toHaveTextContent('\\(c\\)');
    expect(container.querySelector('pre code')).toHaveTextContent('\\[d\\]');
  });

  it('keeps KaTeX colours', () => {
    const container = mount('$\\color{red}{x}$');
    expect(container.querySelector('.katex-html [style*="color"]')).not.toBeNull();
  });

  it('leaves dollar amounts alone', () => {
    const container = mount('It costs $5 and $10.');
    expect(container.querySelector('.katex')).toBeNull();
    expect(container.textContent?.trim()).toBe('It costs $5 and $10.');
  });

  it('renders tables, lists and line breaks', () => {
    const container = mount('| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- two\n\nline one\nline two');
    expect(container.querySelector('.table-wrap table td')).toHaveTextContent('1');
    expect(container.querySelectorAll('li')).toHaveLength(2);
    expect(container.querySelector('br')).not.toBeNull();
  });

  it('keeps column alignment as a class, not a style', () => {
    const container = mount('| name | n |\n|:---|---:|\n| a | 1 |');
    const cells = container.querySelectorAll('th, td');
    expect(cells[1]).toHaveClass('align-right');
    expect(cells[3]).toHaveClass('align-right');
    expect(cells[0]).toHaveClass('align-left');
    expect(container.querySelector('[style]')).toBeNull();
  });

  it('caches by key and text', () => {
    const first = renderCached('m1', '**a**', words);
    expect(renderCached('m1', '**a**', words)).toBe(first);
    expect(renderCached('m1', '**b**', words)).toContain('<strong>b</strong>');
  });
});
