/**
 * `tdbroker bot-token add` and the bot_api settings: the token is printed
 * once in the Bot API's form, only its hash goes into settings, the token
 * directory finds the consumer by it, and settings that name a missing
 * client or repeat a consumer are refused with the place of the problem.
 */
import t from 'tap'
import { botTokenCommand } from '../../src/cli/bot-token.js'
import { TokenDirectory } from '../../src/gateway/tokens.js'
import { settingsFromObject } from '../../src/settings/load.js'
import { SettingsError } from '../../src/settings/errors.js'
import { tempDir } from '../helpers/broker.js'
import { keyClient, testKey } from '../helpers/clients.js'

async function run (args: string[]): Promise<{ code: number, out: string[], err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const code = await botTokenCommand(args, line => out.push(line), line => err.push(line))
  return { code, out, err }
}

t.test('bot-token add prints a token and an entry that finds it', async t => {
  const { code, out } = await run(['add', 'ops', '--session', '123', '--bot-id', '7000002', '--client', 'operators'])
  t.equal(code, 0)
  const token = out.find(line => /^ {2}7000002:/.test(line))?.trim()
  t.match(token, /^7000002:[A-Za-z0-9_-]{43}$/, 'the Bot API form, the bot id first')
  const entry = JSON.parse(out.at(-1)!.trim())
  t.same(Object.keys(entry), ['name', 'bot_id', 'session', 'client', 'token_hash'])
  t.same([entry.name, entry.bot_id, entry.session, entry.client], ['ops', 7000002, '123', 'operators'])
  t.notOk(out.at(-1)!.includes(token!.split(':')[1]!), 'the entry does not hold the secret')
  const tokens = new TokenDirectory([entry])
  t.equal((await tokens.lookup(token!))?.name, 'ops', 'the token finds its consumer')
  t.equal(await tokens.lookup(token!.slice(0, -1) + (token!.endsWith('A') ? 'B' : 'A')), undefined, 'another secret does not')
  t.equal(await tokens.lookup(`7000001:${token!.split(':')[1]!}`), undefined, 'nor the same secret for another bot')
  t.equal(await tokens.lookup('not a token'), undefined)
  t.equal(await tokens.lookup(`7000002:${'x'.repeat(500)}`), undefined, 'an overlong token is not checked')

  const settings = settingsFromObject({ clients: [keyClient('operators', await testKey())], bot_api: { port: 0, consumers: [entry] } }, tempDir())
  t.same([settings.bot_api?.host, settings.bot_api?.max_queue, settings.bot_api?.consumers.length], ['localhost', 1000, 1], 'defaults filled in')
})

t.test('bot-token add refuses bad arguments', async t => {
  for (const args of [['add', 'ops'], ['add', 'ops', '--session', 'abc', '--bot-id', '1'], ['add', 'ops', '--session', '1', '--bot-id', 'x'], ['add', 'bad name', '--session', '1', '--bot-id', '1'], ['add', 'ops', '--what', '1']]) {
    const { code, err } = await run(args)
    t.equal(code, 64, args.join(' '))
    t.ok(err.length > 0, 'says why')
  }
})

t.test('bot_api settings that cannot work are refused', async t => {
  const { out } = await run(['add', 'ops', '--session', '123', '--bot-id', '7000002'])
  const entry = JSON.parse(out.at(-1)!.trim())
  const problems = (raw: Record<string, unknown>): readonly string[] => {
    try {
      settingsFromObject(raw, tempDir())
      return []
    } catch (e) {
      return (e as SettingsError).problems
    }
  }
  t.match(problems({ bot_api: { port: 0, consumers: [entry] } }), ['/bot_api/consumers/0/client: "ops" is not the name of an entry of clients (its scope is the consumer\'s)'])
  const clients = [keyClient('ops', await testKey())]
  t.match(problems({ clients, bot_api: { port: 0, consumers: [entry, entry] } }), ['/bot_api/consumers/1/name: "ops" is already the name of /bot_api/consumers/0'])
  t.ok(problems({ clients, bot_api: { port: 0, consumers: [{ ...entry, surprise: 1 }] } }).length > 0, 'unknown keys are errors')
  t.ok(problems({ clients, bot_api: { consumers: [] } }).length > 0, 'port is required')
})
