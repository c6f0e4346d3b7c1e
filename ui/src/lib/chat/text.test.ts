import { describe, expect, it } from 'vitest';
import { baseName, splitSnippet } from './text';

describe('splitSnippet', () => {
  it('splits at the match markers', () => {
    expect(splitSnippet('a \u0002rust\u0003 and \u0002borrow\u0003s')).toEqual([
      { text: 'a ', mark: false },
      { text: 'rust', mark: true },
      { text: ' and ', mark: false },
      { text: 'borrow', mark: true },
      { text: 's', mark: false },
    ]);
  });

  it('keeps markup in the snippet as plain text', () => {
    const parts = splitSnippet('<img src=x onerror=alert(1)> \u0002<b>x</b>\u0003');
    expect(parts).toEqual([
      { text: '<img src=x onerror=alert(1)> ', mark: false },
      { text: '<b>x</b>', mark: true },
    ]);
  });

  it('copes with unbalanced markers and no markers', () => {
    expect(splitSnippet('plain')).toEqual([{ text: 'plain', mark: false }]);
    expect(splitSnippet('\u0002open')).toEqual([{ text: 'open', mark: true }]);
    expect(splitSnippet('')).toEqual([]);
  });
});

describe('baseName', () => {
  it('takes the last part of a path', () => {
    expect(baseName('/home/me/Pictures/cat.png')).toBe('cat.png');
    expect(baseName('C:\\Users\\me\\cat.png')).toBe('cat.png');
    expect(baseName('cat.png')).toBe('cat.png');
  });
});
