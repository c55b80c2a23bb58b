/**
 * Generated from TDLib's schema (src/policy/tdlib-fields.ts): for every
 * request a whitelist could name, and for every id-bearing field of it at
 * any depth (nested objects, arrays, each member of a union), a request that
 * points that one field at a chat outside the scope must be refused by the
 * chat scope before TDLib runs it. Requests that carry no id at all must be
 * refused before they run when they are actions (they would act on the whole
 * account), and otherwise get no answer that is not about the client's chats.
 */
import t from 'tap'
import { BrokerError } from '../../src/errors.js'
import { accountKind } from '../../src/policy/account.js'
import { chatScopeStep } from '../../src/policy/chat-step.js'
import { policyStep } from '../../src/policy/policy-step.js'
import { globalPolicy, RESERVED_REQUESTS } from '../../src/policy/policy.js'
import { scopedPolicy } from '../../src/policy/scope.js'
import { TDLIB_FUNCTIONS as TDLIB_REQUESTS } from '../../src/settings/tdlib-names.js'
import { ID_FIELDS, OK_REQUESTS, UNIONS } from '../../src/policy/tdlib-fields.js'
import { compose, type RequestContext } from '../../src/server/pipeline.js'
import type { TdObject } from '../../src/tdlib/backend.js'

const MINE = 10
const okRequests = new Set(OK_REQUESTS)
const OUTSIDE = 999

/** A value of each kind that points outside the scope (chat 10 only); undefined for kinds that name no chat. */
function outsideValue (kind: string): unknown {
  switch (kind) {
    case 'chat': case 'user': case 'supergroup': case 'basic_group': case 'secret_chat': return OUTSIDE
    case 'message': case 'story': case 'in_chat': case 'in_call': return 7 // no chat next to it: its chat is unknown
    case 'file': return 77 // never shown to the client
    case 'call': return 78
    case 'group_call': return 79
    case 'callback_query': return '4611686018427387905'
    case 'link': return `https://t.me/c/${OUTSIDE}/1`
    case 'text_url': return `tg://user?id=${OUTSIDE}`
    case 'text_peer': return 'somebody_else'
    case 'inline_message': case 'business_connection': case 'remote_file': return 'AgAAAB'
    case 'unclassified': case 'chat_folder': return 5
    case 'global': case 'own': return undefined
  }
  throw new Error(`unknown kind ${kind}`)
}

/** One request per id-bearing leaf of `type`, each setting only that leaf (with the objects around it). */
function leafRequests (type: string, depth: number, stack: string[]): Array<{ path: string, object: TdObject }> {
  const out: Array<{ path: string, object: TdObject }> = []
  for (const [field, spec] of Object.entries(ID_FIELDS[type] ?? {})) {
    const arrays = (/^(?:\[\])*/.exec(spec)?.[0].length ?? 0) / 2
    const rest = spec.slice(arrays * 2)
    const wrap = (v: unknown): unknown => { let x = v; for (let i = 0; i < arrays; i++) x = [x]; return x }
    if (!rest.startsWith('>')) {
      const value = outsideValue(rest)
      if (value !== undefined) out.push({ path: `${field}: ${rest}`, object: { '@type': type, [field]: wrap(value) } })
      continue
    }
    const target = rest.slice(1)
    if (depth >= 6 || stack.includes(target)) continue
    const members = UNIONS[target] ?? [target]
    for (const member of members) {
      for (const inner of leafRequests(member, depth + 1, [...stack, target])) {
        out.push({ path: `${field}<${member}>.${inner.path}`, object: { '@type': type, [field]: wrap(inner.object) } })
      }
    }
  }
  return out
}

const global = globalPolicy({ allowed_requests: [...TDLIB_REQUESTS], allowed_updates: [] })
/** The default chat scope, and one that also allows login and account-wide requests (which the chat check must still hold). */
const policies = {
  desk: scopedPolicy(global, 'desk', { sessions: 'all', may_create_sessions: false, chats: [MINE] }),
  wide: scopedPolicy(global, 'wide', { sessions: 'all', may_create_sessions: false, chats: [MINE], login: true, account: true })
}

/** The policy steps as the broker runs them (the resolve and format steps between them change no ids). */
const pipeline = compose([policyStep, chatScopeStep])

/** Runs the policy steps; says whether TDLib was reached and what came back. */
async function scoped (request: TdObject, answer: TdObject, policy = policies.desk): Promise<{ reached: boolean, result: TdObject | BrokerError }> {
  let reached = false
  const session = { id: '1', invoke: async () => { reached = true; return answer } }
  const ctx = { client: { name: 'desk', connectionId: 'c1', remote: 'test', auth: 'key', policy }, session, request, log: undefined } as unknown as RequestContext
  try {
    const result = await pipeline(ctx)
    return { reached, result }
  } catch (e) {
    if (!(e instanceof BrokerError)) throw e
    return { reached, result: e }
  }
}

t.test('every id-bearing field of every request, pointed outside the scope, is refused before TDLib', async t => {
  const leaks: string[] = []
  let requests = 0
  let cases = 0
  for (const fn of TDLIB_REQUESTS) {
    if (RESERVED_REQUESTS.has(fn)) continue
    const leaves = leafRequests(fn, 0, [fn])
    if (leaves.length === 0) continue
    requests++
    for (const { path, object } of leaves) {
      for (const [name, policy] of Object.entries(policies)) {
        // What scope.login and scope.account allow carries credentials and settings, not chats.
        if (name === 'wide' && accountKind(fn) !== undefined) continue
        cases++
        const { reached, result } = await scoped(object, { '@type': 'ok' }, policy)
        // The default scope may refuse login and account requests earlier (REQUEST_NOT_ALLOWED); the wide one must refuse them here.
        const refusals = name === 'desk' ? ['CHAT_NOT_ALLOWED', 'REQUEST_NOT_ALLOWED'] : ['CHAT_NOT_ALLOWED']
        if (reached || !(result instanceof BrokerError) || !refusals.includes(result.errorName)) {
          leaks.push(`${name}: ${fn} ${path}: ${reached ? 'reached TDLib' : result instanceof BrokerError ? result.message : 'passed'}`)
        } else if (result.message.includes(String(OUTSIDE)) && !JSON.stringify(object).includes(String(OUTSIDE))) {
          leaks.push(`${name}: ${fn} ${path}: the refusal names an id the client did not send`)
        }
      }
    }
  }
  t.ok(requests > 600, `${requests} requests with id-bearing fields`)
  t.ok(cases > 10_000, `${cases} generated cases`)
  t.same(leaks.slice(0, 20), [], 'none reaches TDLib')
  t.equal(leaks.length, 0)
})

t.test('requests that carry no id: actions are refused before they run, answers of other types are withheld', async t => {
  const leaks: string[] = []
  let count = 0
  for (const fn of TDLIB_REQUESTS) {
    if (RESERVED_REQUESTS.has(fn) || leafRequests(fn, 0, [fn]).length > 0) continue
    count++
    // Whatever TDLib would answer, a list of users from outside the chats must not come back.
    const { reached, result } = await scoped({ '@type': fn }, { '@type': 'users', total_count: 1, user_ids: [OUTSIDE] })
    if (!(result instanceof BrokerError)) leaks.push(`${fn}: its answer passed`)
    else if (reached && result.errorName !== 'ANSWER_WITHHELD') leaks.push(`${fn}: reached TDLib, then ${result.message}`)
    if (okRequests.has(fn) && reached) leaks.push(`${fn}: an action that names no chat reached TDLib`)
  }
  t.ok(count > 100, `${count} requests without ids`)
  t.same(leaks, [])
})

