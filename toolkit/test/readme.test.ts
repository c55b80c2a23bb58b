/**
 * The example bot of toolkit/README.md runs as written against a broker on
 * the sandbox (its address replaced, the packages' names replaced by their
 * files), and a user gets from it what the README says.
 */
import { readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { format } from 'node:util'
import t from 'tap'
import { BOT_ID, startWorld, userOf } from './helpers.js'

const here = dirname(fileURLToPath(import.meta.url))

t.test('the README\'s example bot runs and answers', async t => {
  const readme = readFileSync(resolve(here, '../README.md'), 'utf8')
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```\n((?:<!-- readme-test prints: .* -->\n)+)/g)]
  t.equal(blocks.length, [...readme.matchAll(/```ts\n/g)].length, 'every ts block says what it prints')
  const [, code = '', prints = ''] = blocks[0] ?? []
  const w = await startWorld()
  t.teardown(w.stop)
  const file = join(w.dir, 'bot.ts')
  writeFileSync(join(w.dir, 'package.json'), JSON.stringify({ type: 'module' }))
  writeFileSync(file, code
    .replace('localhost:23456', `127.0.0.1:${w.broker.port}`)
    .replace(/'@tdbroker\/client'/g, `'${realpathSync(resolve(here, '../../node_modules/@tdbroker/client/dist/index.js'))}'`)
    .replace(/'@tdbroker\/toolkit'/g, `'${resolve(here, '../src/index.js')}'`))
  const printed: string[] = []
  const saved = console.log
  console.log = (...args: unknown[]) => { printed.push(format(...args)) }
  const cwd = process.cwd()
  process.chdir(w.dir)
  try { await import(pathToFileURL(file).href) } finally { console.log = saved; process.chdir(cwd) }
  for (const m of prints.matchAll(/<!-- readme-test prints: (.*) -->/g)) t.ok(printed.some(l => l.includes(m[1] as string)), `printed "${m[1] as string}"`)

  const alice = await userOf(w, 'alice')
  await alice.say(BOT_ID, '/hello Ann')
  t.equal(await alice.inbox.nextText(BOT_ID), 'Hello, Ann!')
  await alice.say(BOT_ID, '/pizza')
  const size = await alice.inbox.next(BOT_ID)
  await alice.press(BOT_ID, size.id, 'large')
  t.equal(await alice.inbox.nextText(BOT_ID), 'Name for the order?')
  await alice.say(BOT_ID, 'Ann')
  t.equal(await alice.inbox.nextText(BOT_ID), 'Ordered a large pizza for Ann.')
  await alice.say(BOT_ID, '/vault')
  const vault = await alice.inbox.next(BOT_ID)
  t.equal(vault.content['@type'] === 'messageText' && vault.content.text.text, 'Vault code: 4711', 'the owner of a private chat is in its Admin group')
  t.equal(await alice.press(BOT_ID, vault.id, 'tk:delete'), 'Deleted.')
  await alice.inbox.waitDeleted(BOT_ID, vault.id)
  const menu = await w.bot.invoke({ '@type': 'getCommands', scope: { '@type': 'botCommandScopeDefault' }, language_code: '' })
  t.ok(['hello', 'pizza', 'vault', 'subscribe', 'grant'].every(c => menu.commands.some(m => m.command === c)), 'the menu was published')
  process.emit('SIGINT')
})
