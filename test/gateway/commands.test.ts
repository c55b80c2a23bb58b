/**
 * The command menus through unmodified grammY: setMyCommands, getMyCommands
 * and deleteMyCommands, one list per scope and language as in Telegram, the
 * lists read back from TDLib (getCommands); bad commands and scopes are 400.
 */
import t from 'tap'
import { Bot, GrammyError } from 'grammy'
import { loadShapes, shapeProblems } from './bot-api-shape.js'
import { ALICE, botCall, say, withGateway } from './helpers.js'

t.test('bot commands by scope and language', async t => {
  loadShapes()
  const { world, running, alice } = await withGateway(t, { backend: {}, reader: { allowed_requests: ['getMe', 'getCommands'] } })
  const api = new Bot(world.consumers[0]!.token, { client: { apiRoot: running.apiRoot } }).api
  const reader = world.consumers[1]!.token
  // The bot knows Alice's chat once she has written to it.
  await say(alice, 'hi')
  t.equal((await botCall(running.apiRoot, world.consumers[0]!.token, 'getUpdates', { timeout: 10 })).body.result[0]?.message?.text, 'hi')

  t.same(await api.getMyCommands(), [], 'none at first')
  t.equal(await api.setMyCommands([{ command: 'start', description: 'Start over' }, { command: 'help', description: 'What I can do' }]), true)
  t.equal(await api.setMyCommands([{ command: 'hilfe', description: 'Was ich kann' }], { language_code: 'de' }), true)
  t.equal(await api.setMyCommands([{ command: 'support', description: 'Talk to us' }], { scope: { type: 'chat', chat_id: ALICE.id } }), true)
  const all = await api.getMyCommands()
  t.same(shapeProblems(all, 'BotCommands'), [])
  t.same(all, [{ command: 'start', description: 'Start over' }, { command: 'help', description: 'What I can do' }])
  t.same(await api.getMyCommands({ language_code: 'de' }), [{ command: 'hilfe', description: 'Was ich kann' }])
  t.same(await api.getMyCommands({ scope: { type: 'chat', chat_id: ALICE.id } }), [{ command: 'support', description: 'Talk to us' }])
  t.same(await api.getMyCommands({ scope: { type: 'all_group_chats' } }), [], 'another scope has its own list')
  t.same((await botCall(running.apiRoot, reader, 'getMyCommands')).body.result.length, 2, 'a reader reads them')
  const refused = await botCall(running.apiRoot, reader, 'setMyCommands', { commands: [] })
  t.same([refused.status, refused.body.description], [403, 'Forbidden: setMyCommands needs the TDLib request setCommands, which the scope of client "reader-client" does not allow'])

  t.equal(await api.deleteMyCommands({ language_code: 'de' }), true)
  t.same(await api.getMyCommands({ language_code: 'de' }), [])
  t.equal(await api.deleteMyCommands(), true)
  t.same(await api.getMyCommands(), [])

  const bad = await api.setMyCommands([{ command: 'Start!', description: 'x' }]).catch((e: unknown) => e)
  t.ok(bad instanceof GrammyError)
  t.same([(bad as GrammyError).error_code, (bad as GrammyError).description], [400, 'Bad Request: commands[0].command must be 1-32 characters a-z, 0-9 and _'])
  const noDescription = await botCall(running.apiRoot, world.consumers[0]!.token, 'setMyCommands', { commands: [{ command: 'a', description: ' ' }] })
  t.same([noDescription.status, noDescription.body.description], [400, 'Bad Request: commands[0].description must be 1-256 characters'])
  const badScope = await botCall(running.apiRoot, world.consumers[0]!.token, 'getMyCommands', { scope: { type: 'everywhere' } })
  t.same([badScope.status, badScope.body.description], [400, 'Bad Request: unsupported scope type "everywhere"'])
  const unknownChat = await botCall(running.apiRoot, world.consumers[0]!.token, 'getMyCommands', { scope: { type: 'chat', chat_id: -4001 } })
  t.same([unknownChat.status, unknownChat.body.description], [400, 'Bad Request: chat not found'], 'a chat the bot does not know')
})
