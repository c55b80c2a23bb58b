/**
 * README.md's commands, run as pasted from the repository's root with bash
 * (test/helpers/readme-commands.ts): the two `login` lines (the bot, then two
 * staff members, with the token or the phone number and code on stdin), the
 * README's desk.json with the printed session ids filled in, and
 * `npm start -w apps/support-desk -- --config desk.json`, which serves a
 * customer's /start and stops on Ctrl-C. Filled in as a reader fills them:
 * the broker's address (the README's is 23456, which the broker README's
 * own test uses) and desk.json's place. The compiled desk is the one
 * `npm install` built (pretest builds it the same way); the README's
 * `npm run build` is not run, since rebuilding dist/ under running tests is
 * not safe.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { fillLine, runLine, shellLines, stoppedCleanly } from '../../../test/helpers/readme-commands.js'
import { BOT_TOKEN, startWorld } from './world.js'

const README = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../README.md'), 'utf8')
const LINES = shellLines(README)
const README_URL = 'tcp://127.0.0.1:23456'

interface DeskJson { broker: { url: string }, bot: { session: string }, database: string, staff: Array<{ session: string, department: string, name?: string }> }

t.test("README.md's login lines, desk.json and start command, as pasted", async t => {
  const logins = LINES.filter(l => l.includes('dist/main.js login'))
  t.equal(logins.length, 2, 'two login lines: the bot and a staff member')
  const [botLine, staffLine] = [logins.find(l => l.includes('--bot')), logins.find(l => !l.includes('--bot'))]
  if (botLine === undefined || staffLine === undefined) throw new Error(`the login lines are not a --bot one and a staff one: ${JSON.stringify(logins)}`)
  t.ok(LINES.includes('npm run build'), 'the README builds first (npm install has built it here)')
  const json = /```json\n([\s\S]*?)```/.exec(README)?.[1]
  if (json === undefined) throw new Error('README.md has no desk.json block')
  const desk = JSON.parse(json) as DeskJson
  t.equal(desk.broker.url, README_URL, "desk.json's broker is the login lines' one")

  const w = await startWorld()
  t.teardown(w.stop)
  const filled = (line: string): string => fillLine(line, {}, [[README_URL, w.url]])
  const idLine = /^(\d+)$/m

  const bot = await runLine(filled(botLine), idLine, { input: `${BOT_TOKEN}\n` })
  t.equal(bot.code, 0, 'the bot login exits 0 and prints the session id')
  const staffIds = [3200001, 3200002]
  const phones = await Promise.all(staffIds.map(async (id, i) => await w.account(id, ['Tina', 'Sal'][i] as string)))
  const staffSessions: string[] = []
  for (const id of staffIds) {
    const phone = `+1555${String(id).padStart(7, '0')}`
    const ran = await runLine(filled(staffLine), idLine, { input: `${phone}\n${w.sandbox.world.loginCode(phone)}\n` })
    t.equal(ran.code, 0, `staff member ${id}'s login exits 0`)
    staffSessions.push(idLine.exec(ran.stdout)?.[1] as string)
  }

  desk.broker.url = w.url
  desk.bot.session = idLine.exec(bot.stdout)?.[1] as string
  t.equal(desk.staff.length, staffSessions.length, 'as many staff entries as logins')
  desk.staff.forEach((s, i) => { s.session = staffSessions[i] as string })
  const config = join(w.dir, 'desk.json')
  writeFileSync(config, JSON.stringify(desk))

  const alice = await w.account(3200101, 'Alice')
  const served = (async () => {
    for (const p of phones) await p.waitFor('You are on the desk', 30_000)
    await alice.say('/start')
    await alice.waitFor('Which department', 30_000)
  })()
  const startLine = LINES.find(l => l.startsWith('npm start -w apps/support-desk'))
  if (startLine === undefined) throw new Error('README.md has no npm start line')
  const started = await runLine(fillLine(startLine, {}, [['desk.json', config]]), served, { stop: true, timeoutMs: 90_000 })
  t.pass('the desk told both staff members it is on, and offered Alice the departments')
  stoppedCleanly(t, started, 'the desk', /support-desk:|npm error/)
})
