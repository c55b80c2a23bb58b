import t from 'tap'
import { createSandboxBackend } from '../../../src/tdlib/sandbox/index.js'
import { SEED, loginBot, loginUser, tempRoot } from './fixtures/harness.js'

const root = tempRoot()
t.teardown(root.cleanup)

t.test('command menus: set, read per scope and language, Telegram\'s checks, bots only', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const bot = await loginBot(sandbox, root.dir('menu-bot'), '900:keys-token')
  const alice = await loginUser(sandbox, root.dir('menu-alice'), '15550000101')
  const cmd = (command: string, description: string) => ({ '@type': 'botCommand', command, description })

  await bot.ok({ '@type': 'setCommands', scope: null, language_code: '', commands: [cmd('start', 'Starts'), cmd('/Help', 'Helps')] })
  t.same(await bot.invoke({ '@type': 'getCommands', scope: { '@type': 'botCommandScopeDefault' }, language_code: '' }),
    { '@type': 'botCommands', bot_user_id: 900, commands: [cmd('start', 'Starts'), cmd('help', 'Helps')] }, 'null scope is the default one; a leading / and capitals are dropped')
  t.same(await bot.invoke({ '@type': 'getCommands', scope: { '@type': 'botCommandScopeAllGroupChats' }, language_code: 'de' }),
    { '@type': 'botCommands', bot_user_id: 900, commands: [] }, 'another scope and language has its own menu')
  t.same(await bot.invoke({ '@type': 'setCommands', commands: [cmd('bad-name', 'x')] }), { '@type': 'error', code: 400, message: 'BOT_COMMAND_INVALID' })
  t.same(await bot.invoke({ '@type': 'setCommands', commands: [cmd('ok', '')] }), { '@type': 'error', code: 400, message: 'BOT_COMMAND_DESCRIPTION_INVALID' })
  t.same(await bot.invoke({ '@type': 'setCommands', commands: Array.from({ length: 101 }, (_, i) => cmd(`c${i}`, 'x')) }), { '@type': 'error', code: 400, message: 'BOT_COMMANDS_TOO_MUCH' })
  t.same(await bot.invoke({ '@type': 'getCommands', language_code: 'english' }), { '@type': 'error', code: 400, message: 'Invalid language code specified' })
  await bot.ok({ '@type': 'deleteCommands' })
  t.same(await bot.invoke({ '@type': 'getCommands' }), { '@type': 'botCommands', bot_user_id: 900, commands: [] })
  t.same(await alice.invoke({ '@type': 'setCommands', commands: [] }), { '@type': 'error', code: 400, message: 'The method is available only to bots' })
})

t.test('getChatAdministrators: the creator first, is_owner; only groups', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const alice = await loginUser(sandbox, root.dir('admins-alice'), '15550000101')
  await alice.ok({ '@type': 'getContacts' })
  const group = await alice.ok({ '@type': 'createNewBasicGroupChat', user_ids: [102], title: 'Admins' })
  t.same(await alice.invoke({ '@type': 'getChatAdministrators', chat_id: group.chat_id as number }),
    { '@type': 'chatAdministrators', administrators: [{ '@type': 'chatAdministrator', user_id: 101, custom_title: '', is_owner: true, can_be_edited: false }] })
  t.same(await alice.invoke({ '@type': 'getChatAdministrators', chat_id: 102 }), { '@type': 'error', code: 400, message: 'Chat must be a basic group or a supergroup' })
  t.same(await alice.invoke({ '@type': 'getChatAdministrators', chat_id: -999 }), { '@type': 'error', code: 400, message: 'Chat not found' })
})
