/**
 * parseTextEntities, which TDLib answers synchronously: Markdown versions 1
 * and 2, HTML; the common cases, not every corner of TDLib's parsers
 * (getTextEntities is in autolink.ts). Offsets and lengths are in UTF-16
 * code units, as in TDLib; error positions are byte offsets in UTF-8, as
 * TDLib reports them.
 */
import { fail, type Td, type Tl } from './td.js'

type Entity = Td<Tl.textEntity>
type EntityType = Td<Tl.TextEntityType>

function entity (offset: number, length: number, type: EntityType): Entity {
  return { '@type': 'textEntity', offset, length, type }
}

function byteOffset (text: string, index: number): number {
  return Buffer.byteLength(text.slice(0, index))
}

function sortEntities (entities: Entity[]): Entity[] {
  return entities.sort((a, b) => a.offset - b.offset || b.length - a.length)
}

function parseError (detail: string): never {
  fail(400, `Can't parse entities: ${detail}`)
}

// --- Markdown -----------------------------------------------------------

const V2_RESERVED = new Set('_*[]()~`>#+-=|{}.!')

interface Open {
  kind: 'Bold' | 'Italic' | 'Underline' | 'Strikethrough' | 'Spoiler' | 'Code' | 'Pre' | 'TextUrl'
  start: number
  /** Where it opened in the source, as a character index (turned into a byte offset only for an error). */
  source: number
  marker: string
  language?: string
}

function closedType (open: Open, url = ''): EntityType {
  switch (open.kind) {
    case 'Bold': return { '@type': 'textEntityTypeBold' }
    case 'Italic': return { '@type': 'textEntityTypeItalic' }
    case 'Underline': return { '@type': 'textEntityTypeUnderline' }
    case 'Strikethrough': return { '@type': 'textEntityTypeStrikethrough' }
    case 'Spoiler': return { '@type': 'textEntityTypeSpoiler' }
    case 'Code': return { '@type': 'textEntityTypeCode' }
    case 'Pre': return open.language === undefined || open.language === ''
      ? { '@type': 'textEntityTypePre' }
      : { '@type': 'textEntityTypePreCode', language: open.language }
    case 'TextUrl': return { '@type': 'textEntityTypeTextUrl', url }
  }
}

const MARKERS_V2: Array<[string, Open['kind']]> = [
  ['```', 'Pre'], ['__', 'Underline'], ['||', 'Spoiler'], ['*', 'Bold'], ['_', 'Italic'], ['~', 'Strikethrough'], ['`', 'Code'],
]
const MARKERS_V1: Array<[string, Open['kind']]> = [['```', 'Pre'], ['*', 'Bold'], ['_', 'Italic'], ['`', 'Code']]

/** Markdown as TDLib's textParseModeMarkdown: version 2 (strict escaping) or 0/1 (legacy). */
export function parseMarkdown (text: string, version: number): Td<Tl.formattedText> {
  const v2 = version >= 2
  const markers = v2 ? MARKERS_V2 : MARKERS_V1
  const entities: Entity[] = []
  const stack: Open[] = []
  let out = ''
  let i = 0
  const close = (open: Open, url?: string): void => {
    if (out.length > open.start) entities.push(entity(open.start, out.length - open.start, closedType(open, url)))
  }
  while (i < text.length) {
    const top = stack[stack.length - 1]
    const c = text[i]!
    if (top !== undefined && (top.kind === 'Code' || top.kind === 'Pre')) {
      if (c === '\\' && v2 && (text[i + 1] === '`' || text[i + 1] === '\\')) { out += text[i + 1]; i += 2; continue }
      if (text.startsWith(top.marker, i)) { stack.pop(); close(top); i += top.marker.length; continue }
      out += c
      i++
      continue
    }
    if (c === '\\' && i + 1 < text.length && (v2 || '_*`['.includes(text[i + 1]!))) {
      out += text[i + 1]
      i += 2
      continue
    }
    const marker = markers.find(([m]) => text.startsWith(m, i))
    if (marker !== undefined) {
      const [m, kind] = marker
      if (top !== undefined && top.marker === m) {
        stack.pop()
        close(top)
      } else {
        const open: Open = { kind, start: out.length, source: i, marker: m }
        if (kind === 'Pre') {
          const newline = text.indexOf('\n', i + 3)
          const language = newline < 0 ? '' : text.slice(i + 3, newline)
          if (newline >= 0 && /^[A-Za-z0-9_+#-]*$/.test(language)) {
            open.language = language
            i = newline + 1
            stack.push(open)
            continue
          }
        }
        stack.push(open)
      }
      i += m.length
      continue
    }
    if (c === '[') {
      stack.push({ kind: 'TextUrl', start: out.length, source: i, marker: ']' })
      i++
      continue
    }
    if (c === ']' && top?.kind === 'TextUrl') {
      stack.pop()
      if (text[i + 1] !== '(') {
        if (v2) parseError(`Character ']' is reserved and must be escaped with the preceding '\\'`)
        out = out.slice(0, top.start) + '[' + out.slice(top.start) + ']'
        i++
        continue
      }
      let url = ''
      let j = i + 2
      while (j < text.length && text[j] !== ')') {
        if (text[j] === '\\' && j + 1 < text.length) j++
        url += text[j]
        j++
      }
      if (j >= text.length) parseError(`Can't find end of a URL at byte offset ${byteOffset(text, i + 2)}`)
      close(top, url)
      i = j + 1
      continue
    }
    if (v2 && V2_RESERVED.has(c)) parseError(`Character '${c}' is reserved and must be escaped with the preceding '\\'`)
    out += c
    i++
  }
  const unclosed = stack[0]
  if (unclosed !== undefined) {
    if (v2) parseError(`Can't find end of ${unclosed.kind} entity at byte offset ${byteOffset(text, unclosed.source)}`)
    parseError(`Can't find end of the entity starting at byte offset ${byteOffset(text, unclosed.source)}`)
  }
  return { '@type': 'formattedText', text: out, entities: sortEntities(entities) }
}

// --- HTML ---------------------------------------------------------------

const HTML_TAGS: Record<string, EntityType['@type']> = {
  b: 'textEntityTypeBold',
  strong: 'textEntityTypeBold',
  i: 'textEntityTypeItalic',
  em: 'textEntityTypeItalic',
  u: 'textEntityTypeUnderline',
  ins: 'textEntityTypeUnderline',
  s: 'textEntityTypeStrikethrough',
  strike: 'textEntityTypeStrikethrough',
  del: 'textEntityTypeStrikethrough',
  'tg-spoiler': 'textEntityTypeSpoiler',
  code: 'textEntityTypeCode',
  pre: 'textEntityTypePre',
  a: 'textEntityTypeTextUrl',
  blockquote: 'textEntityTypeBlockQuote',
}

const NAMED_CHARACTERS: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: '\'', nbsp: '\u00a0' }

function decodeCharacters (text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16))
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10))
    return NAMED_CHARACTERS[name] ?? whole
  })
}

interface OpenTag { name: string, start: number, attributes: Record<string, string> }

function tagType (tag: OpenTag): EntityType | undefined {
  if (tag.name === 'span') return tag.attributes.class === 'tg-spoiler' ? { '@type': 'textEntityTypeSpoiler' } : undefined
  const type = HTML_TAGS[tag.name]
  if (type === 'textEntityTypeTextUrl') {
    const href = tag.attributes.href ?? ''
    return href === '' ? undefined : { '@type': 'textEntityTypeTextUrl', url: href }
  }
  if (type === 'textEntityTypeCode' && tag.attributes.class?.startsWith('language-') === true) {
    return { '@type': 'textEntityTypePreCode', language: tag.attributes.class.slice('language-'.length) }
  }
  return type === undefined ? undefined : { '@type': type } as EntityType
}

/** HTML as TDLib's textParseModeHTML. */
export function parseHtml (text: string): Td<Tl.formattedText> {
  const entities: Entity[] = []
  /** offset:length of each PreCode entity, so a closing <pre> finds its <code> at once. */
  const preCodeSpans = new Set<string>()
  const stack: OpenTag[] = []
  let out = ''
  let i = 0
  while (i < text.length) {
    const lt = text.indexOf('<', i)
    const chunkEnd = lt < 0 ? text.length : lt
    out += decodeCharacters(text.slice(i, chunkEnd))
    if (lt < 0) break
    const gt = text.indexOf('>', lt)
    if (gt < 0) parseError(`Unclosed start tag at byte offset ${byteOffset(text, lt)}`)
    const raw = text.slice(lt + 1, gt).trim()
    if (raw.startsWith('/')) {
      const name = raw.slice(1).trim().toLowerCase()
      const open = stack.pop()
      if (open === undefined) parseError(`Unexpected end tag at byte offset ${byteOffset(text, lt)}`)
      if (open.name !== name) {
        parseError(`Unmatched end tag at byte offset ${byteOffset(text, lt)}, expected "</${open.name}>", found "</${name}>"`)
      }
      const type = tagType(open)
      if (type !== undefined && out.length > open.start) {
        // <pre><code class="language-x"> is one PreCode entity, not Pre + PreCode.
        const span = `${open.start}:${out.length - open.start}`
        if (!(type['@type'] === 'textEntityTypePre' && preCodeSpans.has(span))) {
          entities.push(entity(open.start, out.length - open.start, type))
          if (type['@type'] === 'textEntityTypePreCode') preCodeSpans.add(span)
        }
      }
      i = gt + 1
      continue
    }
    const m = /^([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))*)\s*$/.exec(raw)
    const name = m?.[1]?.toLowerCase()
    if (m === null || name === undefined || (HTML_TAGS[name] === undefined && name !== 'span')) {
      parseError(`Unsupported start tag "${raw.split(/\s/)[0] ?? ''}" at byte offset ${byteOffset(text, lt)}`)
    }
    const attributes: Record<string, string> = {}
    for (const a of (m[2] ?? '').matchAll(/([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g)) {
      attributes[a[1]!.toLowerCase()] = decodeCharacters(a[2] ?? a[3] ?? a[4] ?? '')
    }
    stack.push({ name, start: out.length, attributes })
    i = gt + 1
  }
  const unclosed = stack[0]
  if (unclosed !== undefined) parseError(`Can't find end tag corresponding to start tag "${unclosed.name}"`)
  return { '@type': 'formattedText', text: out, entities: sortEntities(entities) }
}
