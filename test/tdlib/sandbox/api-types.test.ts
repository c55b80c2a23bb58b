/**
 * The sandbox builds its objects with types derived from
 * @prebuilt-tdlib/types (src/tdlib/sandbox/td.ts), so tsc checks them against
 * TDLib 1.8.65; the other tests check what actually comes out at run time.
 * This file checks both checkers.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { tdConformance } from './fixtures/td-schema.js'

t.test('the run-time checker catches what TDLib would not send', async t => {
  const good = { '@type': 'updateChatLastMessage', chat_id: 1, positions: [] }
  t.same(tdConformance(good, 'Update'), [])
  t.same(tdConformance({ '@type': 'updateChatLastMessage', chat_id: 1 }, 'Update'), ['$.positions: missing in updateChatLastMessage'])
  t.same(tdConformance({ ...good, extra: 1 }, 'Update'), ['$.extra: updateChatLastMessage has no such field'])
  t.same(tdConformance({ ...good, chat_id: '1' }, 'Update'), ['$.chat_id: expected number, got "1"'])
  t.same(tdConformance({ '@type': 'user' }, 'Update').slice(0, 1), ['$: user is not a Update'])
  t.same(tdConformance({ '@type': 'noSuchThing' }), ['$: unknown type noSuchThing'])
  t.same(tdConformance({ '@type': 'messages', total_count: 1, messages: [null] }, 'Messages'), [], 'nullable array items')
})

t.test('tsc accepts the sandbox and its tests against TDLib\'s types', async t => {
  const require = createRequire(import.meta.url)
  const tsc = require.resolve('typescript/bin/tsc')
  const project = fileURLToPath(new URL('./tsconfig.json', import.meta.url))
  const run = spawnSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8' })
  t.equal(run.stdout + run.stderr, '', 'no type errors')
  t.equal(run.status, 0)
})
