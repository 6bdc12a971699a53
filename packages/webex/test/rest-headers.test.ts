// Table tests of the pure header parsers: Link (docs/protocol.md §7.1), Retry-After (§7.1), Content-Disposition (§7.6).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  filenameFromContentDisposition,
  nextLinkUrl,
  parseLinkHeader,
  parseRetryAfter,
} from '../src/rest/headers.js';
import { contentIdFromUrl } from '../src/rest/index.js';

/** One test a case: `parse(header)` is the expected value. */
function headerCases<T>(parse: (header: string | null) => T, cases: [string | null, T][]): void {
  for (const [header, expected] of cases) {
    it(`${JSON.stringify(header)} -> ${JSON.stringify(expected)}`, () => {
      assert.equal(parse(header), expected);
    });
  }
}

describe('Content-Disposition file names', () => {
  const cases: [string | null, string | undefined][] = [
    ['attachment; filename="report.pdf"', 'report.pdf'],
    ['attachment; filename=report.pdf', 'report.pdf'],
    ['attachment;filename="a b; c.txt"', 'a b; c.txt'],
    ['attachment; filename="say \\"hi\\".txt"', 'say "hi".txt'],
    [`attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf`, '€ rates.pdf'],
    [`attachment; filename="fallback.pdf"; filename*=UTF-8''na%C3%AFve.pdf`, 'naïve.pdf'],
    [`attachment; filename*=utf-8'en'%C3%A9t%C3%A9.txt; filename="ete.txt"`, 'été.txt'],
    [`attachment; filename*=iso-8859-1''%E9t%E9.txt`, 'été.txt'],
    [`attachment; filename*=UTF-8''bad%ZZ; filename="ok.txt"`, 'ok.txt'],
    ['ATTACHMENT; FILENAME="upper.txt"', 'upper.txt'],
    ['inline; filename="../../etc/passwd"', 'passwd'],
    ['attachment; filename="C:\\temp\\x.doc"', 'x.doc'],
    ['attachment; filename=".."', undefined],
    ['attachment', undefined],
    ['', undefined],
    [null, undefined],
  ];
  headerCases(filenameFromContentDisposition, cases);
});

describe('Link header', () => {
  it('finds next among several links, quoted or not, with commas inside URLs and quoted params', () => {
    const h =
      '<https://webexapis.com/v1/people?id=a,b&max=2&after=X>; rel="next", ' +
      '<https://webexapis.com/v1/people?first>; rel=first; title="x, y", <https://webexapis.com/v1/p?prev>;rel=prev';
    const links = parseLinkHeader(h);
    assert.deepEqual(
      links.map((l) => [l.url, l.rels]),
      [
        ['https://webexapis.com/v1/people?id=a,b&max=2&after=X', ['next']],
        ['https://webexapis.com/v1/people?first', ['first']],
        ['https://webexapis.com/v1/p?prev', ['prev']],
      ],
    );
    assert.equal(nextLinkUrl(h), 'https://webexapis.com/v1/people?id=a,b&max=2&after=X');
  });

  const cases: [string | null, string | undefined][] = [
    ['<https://h/v1/rooms?after=1>; rel="next"', 'https://h/v1/rooms?after=1'],
    ['<https://h/a>; rel=next', 'https://h/a'],
    ['<https://h/a>; rel="NEXT"', 'https://h/a'],
    ['<https://h/a>; rel="prev next"', 'https://h/a'],
    ['<https://h/f>; rel="first", <https://h/n>; rel="next"', 'https://h/n'],
    ['<https://h/f>; title="rel=next"; rel="first"', undefined],
    ['<https://h/a>; rel="prev"', undefined],
    ['garbage, <https://h/n>; rel=next', 'https://h/n'],
    ['', undefined],
    [null, undefined],
  ];
  headerCases(nextLinkUrl, cases);
});

describe('Retry-After', () => {
  const now = Date.UTC(2024, 4, 1, 10, 0, 0);
  const cases: [string | null, number | undefined][] = [
    ['60', 60],
    [' 3 ', 3],
    ['0', 0],
    ['1.5', 2],
    [new Date(now + 10_000).toUTCString(), 10],
    [new Date(now - 10_000).toUTCString(), 0],
    ['-1', undefined],
    ['soon', undefined],
    ['', undefined],
    [null, undefined],
  ];
  headerCases((header) => parseRetryAfter(header, now), cases);
});

describe('contentIdFromUrl', () => {
  it('takes the segment after /contents/', () => {
    assert.equal(
      contentIdFromUrl('https://webexapis.com/v1/contents/Y2lzY29zcGFyazovL3Vz'),
      'Y2lzY29zcGFyazovL3Vz',
    );
    assert.equal(contentIdFromUrl('https://api.ciscospark.com/v1/contents/abc?allow=unscannable'), 'abc');
    assert.equal(contentIdFromUrl('https://webexapis.com/v1/contents/'), undefined);
    assert.equal(contentIdFromUrl('https://webexapis.com/v1/messages/x'), undefined);
    assert.equal(contentIdFromUrl('not a url'), undefined);
  });
});
