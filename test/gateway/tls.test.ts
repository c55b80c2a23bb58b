/**
 * The gateway over HTTPS (bot_api.tls): the certificate and key of the tls
 * section, no client certificate asked for (tokens authenticate) even where
 * the broker's own TLS listener requires one. Unmodified grammY reaches it
 * with the certificate pinned through an https.Agent; a client that does not
 * trust the certificate, or speaks plain HTTP, gets nothing.
 */
import { writeFileSync } from 'node:fs'
import https from 'node:https'
import { join } from 'node:path'
import t from 'tap'
import { Bot } from 'grammy'
import { generateSelfSigned } from '../../src/certs/generate.js'
import { settingsFromObject } from '../../src/settings/load.js'
import { tempDir } from '../helpers/broker.js'
import { customer, INLINE_BOT, prepareWorld, say, startGateway, until } from './helpers.js'

t.test('grammY over HTTPS with the pinned certificate', async t => {
  const dir = tempDir('tdbroker-gw-tls-')
  const pair = await generateSelfSigned({ altNames: [{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }] })
  writeFileSync(join(dir, 'cert.pem'), pair.cert)
  writeFileSync(join(dir, 'key.pem'), pair.key)
  const world = await prepareWorld(dir, { backend: {} })
  // ca with verify_clients (the default): the broker's TLS listener wants client certificates; the gateway must not.
  const running = await startGateway(world, { tls: true }, {}, { tls: { host: '127.0.0.1', port: 0, cert: 'cert.pem', key: 'key.pem', ca: 'cert.pem' } })
  t.teardown(async () => { await running.stop() })
  const root = `https://127.0.0.1:${running.port}`
  const agent = new https.Agent({ ca: pair.cert, keepAlive: true })
  t.teardown(() => { agent.destroy() })

  const bot = new Bot(world.consumers[0]!.token, { client: { apiRoot: root, baseFetchConfig: { agent } } })
  const me = await bot.api.getMe()
  t.equal(me.id, INLINE_BOT.id, 'getMe over HTTPS')
  const texts: string[] = []
  bot.on('message:text', ctx => { texts.push(ctx.message.text) })
  await bot.init()
  const polling = bot.start({ timeout: 1 })
  t.teardown(async () => { if (bot.isRunning()) await bot.stop(); await polling })
  const alice = await customer(running, world)
  t.teardown(() => { alice.close() })
  await say(alice, 'over tls')
  await until(() => texts.length > 0, 'the message over HTTPS long polling', 20_000)
  t.same(texts, ['over tls'], 'long polling over HTTPS')

  const untrusted = await fetch(`${root}/bot${world.consumers[0]!.token}/getMe`).then(r => r.status, (e: Error) => e.message)
  t.match(String(untrusted), /fetch failed/, 'a client that does not trust the certificate is refused')
  const plain = await fetch(`http://127.0.0.1:${running.port}/bot${world.consumers[0]!.token}/getMe`, { signal: AbortSignal.timeout(10_000) }).then(async r => { await r.body?.cancel(); return r.status }, (e: Error) => e.message)
  t.not(plain, 200, 'plain HTTP on the HTTPS port gets no answer of the Bot API')
})

t.test('bot_api.tls needs the tls section', async t => {
  t.throws(() => settingsFromObject({ bot_api: { port: 0, tls: true } }, tempDir('tdbroker-gw-tls-')), /\/bot_api\/tls: is true, and HTTPS takes its certificate and key from the tls section, which is missing/)
})
