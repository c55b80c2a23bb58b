// Reads TDLib's schema from @prebuilt-tdlib/types/tdlib-types.d.ts: the one reader
// of it that every generator uses (gen-tdlib-fields.mjs, gen-input-fields.mjs,
// gen-tdlib-names.mjs), and works out, for every request (function) type, which of
// its fields carry an id and of what kind (src/policy/tdlib-fields.ts;
// test/policy/schema-fields.test.ts checks that file is current).
//
// Every classification comes from the schema itself: the field's TS type
// (TDLib's int32/int53 are `number`, int64 `number | string`, strings `string`),
// its name and TDLib's doc comment for it. No request is named here.
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** The .d.ts text. */
export function readSchemaSource () {
  return readFileSync(require.resolve('@prebuilt-tdlib/types/tdlib-types.d.ts'), 'utf8')
}

/**
 * Object types (`export type x = {` / `x$Input = {`) with their doc and fields,
 * unions (`export type X = | a | b`), and the function names.
 */
export function parseSchema (source) {
  const lines = source.split('\n')
  const objects = new Map()
  const unions = new Map()
  for (let i = 0; i < lines.length; i++) {
    let m = /^ {2}export type (\w+(?:\$Input)?) = \{$/.exec(lines[i])
    if (m) {
      const fields = []
      let doc = []
      let typeDoc = ''
      for (i++; lines[i] !== '  }'; i++) {
        const l = lines[i]
        if (l === undefined) throw new Error(`unterminated type ${m[1]}; has the layout of tdlib-types.d.ts changed?`)
        const d = /^ {4}\/\*\* (.*) \*\/$/.exec(l)
        if (d) { doc = [d[1]]; continue }
        if (l === '    /**') {
          doc = []
          for (i++; lines[i] !== '     */'; i++) doc.push(lines[i].replace(/^ {5}\* ?/, ''))
          continue
        }
        const f = /^ {4}(?:readonly )?(\w+)\??: (.*),$/.exec(l)
        if (!f) throw new Error(`cannot read line ${i + 1} of tdlib-types.d.ts: ${l}`)
        if (f[1] === '_') typeDoc = doc.join(' ')
        else fields.push({ name: f[1], type: f[2], doc: doc.join(' ') })
        doc = []
      }
      objects.set(m[1], { doc: typeDoc, fields })
      continue
    }
    m = /^ {2}export type (\w+(?:\$Input)?) =$/.exec(lines[i])
    if (m) {
      const members = []
      for (i++; /^ {4}\| /.test(lines[i] ?? ''); i++) members.push(lines[i].slice(6))
      i--
      unions.set(m[1], members)
    }
  }
  const start = source.indexOf('\n  export type $FunctionResultByName = {')
  if (start < 0) throw new Error('tdlib-types.d.ts has no $FunctionResultByName; has its layout changed?')
  const body = source.slice(start, source.indexOf('\n  }', start))
  const results = new Map([...body.matchAll(/^ {4}(\w+): (\w+),$/gm)].map(m => [m[1], m[2]]))
  const version = /Types for TDLib v([\d.]+)/.exec(source)?.[1]
  if (!version) throw new Error('cannot find the TDLib version in the first line of tdlib-types.d.ts')
  if (results.size < 500 || objects.size < 1000) throw new Error('too few types found; has the layout of tdlib-types.d.ts changed?')
  return { version, objects, unions, functions: [...results.keys()], results }
}

/** The element type of a (nested) array type, and how deep the arrays go. */
function unwrap (type) {
  let depth = 0
  let t = type
  for (;;) {
    const m = /^(?:Readonly)?Array<(.*)>$/.exec(t)
    if (!m) break
    t = m[1]
    depth++
  }
  t = t.replace(/ \| null$/, '')
  return { elem: t, depth }
}

const ID_NAME = /(?:^|_)ids?$/
const LINK_NAME = /(?:^|_)(?:url|urls|link|links)$/
const TEXT_PEER_NAME = /(?:^|_)usernames?$|^invite_link$|^invite_hash$|^phone_number$/

/**
 * The kind of id a primitive field carries, or undefined when it carries none,
 * or 'unclassified' when it looks like an id the rules below do not place.
 * `owner` is the type the field belongs to (its name and doc), `siblings` the
 * names of its other fields.
 */
export function classifyField (owner, ownerDoc, field, siblings = []) {
  const { elem } = unwrap(field.type)
  if (elem === 'boolean') return undefined
  const numeric = elem === 'number' || elem === 'number | string'
  const text = elem === 'string' || elem === 'string /* base64 */'
  if (!numeric && !text) return undefined
  const n = field.name
  const doc = field.doc
  const owned = owner.replace(/\$Input$/, '')
  const looksId = ID_NAME.test(n) || LINK_NAME.test(n) || TEXT_PEER_NAME.test(n) || /\bidentifier\b/i.test(doc)
  if (!looksId) return undefined
  if (numeric) {
    if (/(?:^|_)supergroup_ids?$/.test(n)) return 'supergroup'
    if (/(?:^|_)basic_group_ids?$/.test(n)) return 'basic_group'
    if (/(?:^|_)secret_chat_ids?$/.test(n)) return 'secret_chat'
    if (/(?:^|_)chat_folder_ids?$/.test(n)) return 'chat_folder'
    if (/(?:^|_)chat_ids?$/.test(n) || /^(?:chat identifier|identifier of the (?:\w+ )?chat\b)/i.test(doc)) return 'chat'
    if (/(?:^|_)user_ids?$/.test(n) || /^(?:user identifier|identifiers? of the (?:\w+ )?users?\b)/i.test(doc)) return 'user'
    if (/(?:^|_)message_ids?$/.test(n)) return 'message'
    if (/(?:^|_)file_ids?$/.test(n) || /\bfile identifiers?\b/i.test(doc) || (owned === 'inputFileId' && n === 'id')) return 'file'
    if (/(?:^|_)callback_query_id$/.test(n)) return 'callback_query'
    // The connection of a call, next to that call's id (discardCall).
    if (n === 'connection_id' && siblings.includes('call_id')) return 'in_call'
    if (/(?:^|_)group_call_id$/.test(n)) return 'group_call'
    if (/(?:^|_)call_id$/.test(n)) return 'call'
    if (/(?:^|_)story_ids?$/.test(n)) return 'story'
    if (/(?:^|_)(?:topic_id|thread_id)$/.test(n) || /^(?:checklist_task_id|option_id|correct_option_ids)$/.test(n) ||
      (owned === 'inputChecklistTask' && n === 'id')) return 'in_chat'
    // Ids of things every account sees alike (stickers, emoji, effects, sounds, colours,
    // backgrounds, language packs), which say nothing about a chat.
    if (/(?:^|_)(?:custom_emoji|sticker|sticker_set|set|effect|sound|background|accent_color|emoji_status|backdrop|theme)_ids?$/.test(n) &&
      !/file/i.test(doc)) return 'global'
  }
  // Ids the client itself makes up (its own buttons, inline results, send ids), which name nothing.
  if (/^Unique (?:button )?identifier(?: of the query result)?$|^Non-persistent identifier\b/.test(doc)) return 'own'
  if (text) {
    if (n === 'poll_option_id') return 'in_chat'
    if (/(?:^|_)inline_message_id$/.test(n)) return 'inline_message'
    if (/business_connection_id$/.test(n) || /\bbusiness connection\b/i.test(doc)) return 'business_connection'
    if (owned === 'textEntityTypeTextUrl' && n === 'url') return 'text_url'
    if (LINK_NAME.test(n) || /\b(?:HTTP|tg:\/\/) URL\b/.test(doc)) return 'link'
    if (TEXT_PEER_NAME.test(n)) return 'text_peer'
    if (/(?:^|_)remote_file_id$/.test(n) || (owned === 'inputFileRemote' && n === 'id')) return 'remote_file'
    if (/(?:^|_)language_pack_id$/.test(n)) return 'global'
  }
  return 'unclassified'
}

/** What a request does that cannot be checked before it runs, by TDLib's doc comment of the function. */
export function classifyFunction (doc) {
  if (/authorization state is authorizationState|authorizationStateWait\w+ and|QR code authentication/.test(doc)) return 'login'
  if (/updateAuthorizationState with authorizationStateClosed/.test(doc)) return 'lifecycle'
  if (/^Creates a new (?:secret |basic group |supergroup |channel )*(?:chat|basic group|supergroup|channel)\b|Returns the newly created chat\b/.test(doc)) return 'creates_chat'
  return undefined
}

/**
 * The table: for each object type reachable from a request, its fields that
 * carry ids (kind) or lead to objects that may (the declared type). Unions keep
 * their members. Field specs are strings: a kind (`chat`), or `>Type` for an
 * object, with one `[]` per array level in front (`[]chat`, `[]>InputFile`).
 */
export function deriveTable (schema) {
  const { objects, unions, functions } = schema
  const carries = new Map() // type -> boolean (has id fields at any depth); computed with cycle care
  const fieldsOf = new Map() // type -> { field: spec }
  const unclassified = [] // 'type.field: doc'
  const visiting = new Set()
  const typeHasIds = name => {
    if (carries.has(name)) return carries.get(name)
    if (visiting.has(name)) return true // a cycle: assume it may, the walk is bounded at run time
    visiting.add(name)
    let result = false
    if (unions.has(name)) {
      for (const m of unions.get(name)) if (typeHasIds(m)) result = true
    } else if (objects.has(name)) {
      const o = objects.get(name)
      const specs = {}
      for (const f of o.fields) {
        const { elem, depth } = unwrap(f.type)
        const arrays = '[]'.repeat(depth)
        if (objects.has(elem) || unions.has(elem)) {
          if (typeHasIds(elem)) specs[f.name] = `${arrays}>${elem.replace(/\$Input$/, '')}`
          continue
        }
        const kind = classifyField(name, o.doc, f, o.fields.map(g => g.name))
        if (kind === undefined) continue
        if (kind === 'unclassified') unclassified.push(`${name.replace(/\$Input$/, '')}.${f.name}: ${f.doc}`)
        specs[f.name] = `${arrays}${kind}`
      }
      if (Object.keys(specs).length > 0) {
        fieldsOf.set(name.replace(/\$Input$/, ''), specs)
        result = true
      }
    }
    visiting.delete(name)
    carries.set(name, result)
    return result
  }
  for (const fn of functions) {
    if (!objects.has(fn)) throw new Error(`function ${fn} has no declaration`)
    typeHasIds(fn)
  }
  // Unions reachable through a spec, with every member (so an @type that is not
  // one of them is seen as such at run time).
  const usedUnions = {}
  const seen = new Set()
  const visitSpec = spec => {
    const target = spec.replace(/^(\[\])*>/, '')
    if (target === spec || seen.has(target)) return
    seen.add(target)
    const u = unions.get(`${target}$Input`) ?? unions.get(target)
    if (u !== undefined) {
      usedUnions[target] = u.map(m => m.replace(/\$Input$/, '')).sort()
      for (const m of usedUnions[target]) for (const s of Object.values(fieldsOf.get(m) ?? {})) visitSpec(s)
    } else {
      for (const s of Object.values(fieldsOf.get(target) ?? {})) visitSpec(s)
    }
  }
  for (const fn of functions) for (const s of Object.values(fieldsOf.get(fn) ?? {})) visitSpec(s)
  const types = {}
  for (const [name, specs] of [...fieldsOf].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) types[name] = specs
  const effects = {}
  for (const fn of [...functions].sort()) {
    const effect = classifyFunction(objects.get(fn).doc)
    if (effect !== undefined) effects[fn] = effect
  }
  return {
    version: schema.version,
    functions: [...functions].sort(),
    types,
    unions: Object.fromEntries(Object.entries(usedUnions).sort(([a], [b]) => a < b ? -1 : 1)),
    effects,
    actions: [...functions].filter(fn => schema.results.get(fn) === 'Ok').sort(),
    parameterless: [...functions].filter(fn => objects.get(fn).fields.length === 0).sort(),
    unclassified: [...new Set(unclassified)].sort()
  }
}

/** Every id-bearing path of a request, for docs and tests: `reply_to<inputMessageReplyToExternalMessage>.chat_id: chat`. */
export function requestPaths (table, fn, maxDepth = 6) {
  const out = []
  const walk = (type, prefix, depth, stack) => {
    const specs = table.types[type]
    if (specs === undefined) return
    for (const [field, spec] of Object.entries(specs)) {
      const arrays = /^(\[\])*/.exec(spec)[0]
      const rest = spec.slice(arrays.length)
      const path = `${prefix}${prefix ? '.' : ''}${field}${arrays}`
      if (!rest.startsWith('>')) { out.push(`${path}: ${rest}`); continue }
      const target = rest.slice(1)
      if (depth >= maxDepth || stack.includes(target)) { out.push(`${path}: …${target}`); continue }
      const members = table.unions[target]
      if (members === undefined) walk(target, path, depth + 1, [...stack, target])
      else for (const m of members) if (table.types[m] !== undefined) walk(m, `${path}<${m}>`, depth + 1, [...stack, target])
    }
  }
  walk(fn, '', 0, [fn])
  return out
}

/** Words wrapped into lines of about 100 characters, each indented by two spaces (the generated tables' layout). */
export function wrapWords (names) {
  const lines = ['']
  for (const name of names) {
    const last = lines.length - 1
    if (lines[last].length + name.length > 96) lines.push(name)
    else lines[last] = lines[last] ? `${lines[last]} ${name}` : name
  }
  return lines.map(l => `  ${l}`).join('\n')
}

/**
 * The generators' common ending: with `--check`, exit 1 when `target` differs
 * from `text` (the committed table is stale); otherwise write it and say what.
 */
export function writeOrCheck (target, text, script, summary) {
  if (process.argv.includes('--check')) {
    let current = ''
    try { current = readFileSync(target, 'utf8') } catch {}
    if (current !== text) {
      console.error(`${target} is stale; run node ${script}`)
      process.exit(1)
    }
  } else {
    writeFileSync(target, text)
    console.log(`wrote ${target}: ${summary}`)
  }
}
