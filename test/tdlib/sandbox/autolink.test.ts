/**
 * The sandbox's automatic entities (autolink.ts): the same results as the
 * regular expressions they replace, and work that grows linearly with the
 * text, shown by counting the characters looked at (no timing).
 */
import t from 'tap'
import { findTextEntities, type Meter } from '../../../src/tdlib/sandbox/autolink.js'

// The detectors as they were (regular expressions, quadratic on some inputs): the
// reference for short texts, where their cost does not matter.
const REFERENCE: Array<[RegExp, string]> = [
  [/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g, 'textEntityTypeEmailAddress'],
  [/\bhttps?:\/\/[^\s<>"]+|\b(?:[a-z0-9-]+\.)+(?:com|org|net|io|me|dev|app|ru|de|uk|info)\b(?:\/[^\s<>"]*)?/gi, 'textEntityTypeUrl'],
  [/(?<![\w@])@[A-Za-z][A-Za-z0-9_]{4,31}(?!\w)/g, 'textEntityTypeMention'],
  [/(?<![\w#])#[\p{L}\p{N}_]*[\p{L}_][\p{L}\p{N}_]*/gu, 'textEntityTypeHashtag'],
  [/(?<![\w/])\/[A-Za-z0-9_]{1,64}(?:@[A-Za-z][A-Za-z0-9_]{4,31})?(?![\w/])/g, 'textEntityTypeBotCommand'],
]

type Found = Array<[number, number, string]>

function reference (text: string): Found {
  const found: Found = []
  for (const [pattern, type] of REFERENCE) {
    for (const match of text.matchAll(pattern)) {
      let value = match[0]
      if (type === 'textEntityTypeUrl') value = value.replace(/[.,;:!?)]+$/, '')
      const start = match.index
      if (value === '' || found.some(([o, l]) => start < o + l && o < start + value.length)) continue
      found.push([start, value.length, type])
    }
  }
  return found.sort((a, b) => a[0] - b[0] || b[1] - a[1])
}

function scanned (text: string, meter?: Meter): Found {
  return findTextEntities(text, meter).map(e => [e.offset, e.length, e.type['@type']])
}

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random (seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

t.test('the same entities as the regular expressions on everyday texts', async t => {
  const texts = [
    '@alice see #news /start https://example.com or mail a.b@example.org',
    'write to first.last+tag@mail.example.co.uk, or visit www.example.com/path?q=1.',
    'HTTP://EXAMPLE.ORG/A) and (see example.io). sub.domain.dev/x_y',
    '/help@SomeBot now, /start/ no, /a@bot no, #123 no, #a1 yes, ##x no, @@alice no',
    'a@b.c, a@b.co1, a@b.com-x, x@y.z.info.zz, user@host, @ab, @abcde, @abcdefghijklmnopqrstuvwxyz0123456789',
    '#тег and #日本語 and #_x and #1_ and a#b, mail me: ü@x.com',
    'see example.com_x and example.com-x and -example.com and a.b.c.d.e.f.com.g',
    'https:// http://x https://x.y "http://quoted" <http://angle>',
  ]
  for (const text of texts) t.same(scanned(text), reference(text), text)
})

t.test('the same entities as the regular expressions on 20,000 random texts', async t => {
  const pieces = ['a', 'B', 'z', '1', '0', '.', '..', '@', '-', '_', '/', '#', ':', '%', '+', ' ', '\n', ')', '!', ',', 'ü', '😀', 'ж',
    'http', 'https', '://', 'com', 'org', 'info', 'io', 'de', 'dev', 'x.com', 'bot', 'alice', 'www.', '"', '<', '>', '\u00a0']
  const next = random(10_811)
  let differ = 0
  let firstDiff = ''
  for (let n = 0; n < 20_000; n++) {
    let text = ''
    const parts = 1 + Math.floor(next() * 14)
    for (let k = 0; k < parts; k++) text += pieces[Math.floor(next() * pieces.length)]
    const [mine, theirs] = [scanned(text), reference(text)]
    if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
      if (differ++ === 0) firstDiff = `${JSON.stringify(text)}: ${JSON.stringify(mine)} vs ${JSON.stringify(theirs)}`
    }
  }
  t.equal(differ, 0, firstDiff || 'no text differs')
})

t.test('pathological texts: right entities, and work proportional to the length', async t => {
  const size = 100_000
  const cases: Array<[string, string, (found: Found) => void]> = [
    ['letters without a space', 'a'.repeat(size), found => { t.same(found, []) }],
    ['many dots', 'a.'.repeat(size / 2), found => { t.same(found, []) }],
    ['many @', '@'.repeat(size), found => { t.same(found, []) }],
    ['letters and @', 'ab@'.repeat(size / 3), found => { t.same(found, []) }],
    ['an address in a long run', 'x'.repeat(size) + '@example.com', found => { t.same(found, [[0, size + 12, 'textEntityTypeEmailAddress']]) }],
    ['dotted labels, then a domain', 'a.'.repeat(size / 2) + 'com', found => { t.same(found, [[0, size + 3, 'textEntityTypeUrl']]) }],
    ['dotted labels after @', 'a@' + 'b.'.repeat(size / 2), found => { t.same(found, []) }],
    ['hyphens', '-'.repeat(size) + '.com', found => { t.same(found, []) }],
    ['digits after #', '#' + '1'.repeat(size), found => { t.same(found, []) }],
    ['slashes', '/'.repeat(size), found => { t.same(found, []) }],
    ['a URL of trailing dots', 'http://x' + '.'.repeat(size) + 'y', found => { t.same(found, [[0, size + 9, 'textEntityTypeUrl']]) }],
    ['a URL then dots', 'http://x' + '.'.repeat(size), found => { t.same(found, [[0, 8, 'textEntityTypeUrl']]) }],
    ['many hashtags', '#a '.repeat(size / 3), found => {
      t.equal(found.length, Math.floor(size / 3))
      t.ok(found.every(([o, l, k], i) => o === 3 * i && l === 2 && k === 'textEntityTypeHashtag'))
    }],
    ['many short addresses', 'a@bc.de '.repeat(size / 8), found => {
      t.equal(found.length, size / 8)
      t.ok(found.every(([o, l, k], i) => o === 8 * i && l === 7 && k === 'textEntityTypeEmailAddress'))
    }],
  ]
  for (const [what, text, check] of cases) {
    const meter: Meter = { steps: 0 }
    const found = scanned(text, meter)
    check(found)
    t.ok(meter.steps <= 20 * text.length, `${what}: ${meter.steps} steps for ${text.length} characters`)
  }
})
