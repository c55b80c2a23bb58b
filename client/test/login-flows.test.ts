/**
 * The client's login helper through the steps the round-trip test does not
 * take, on the sandbox through a real socket: registration of a new number
 * (getName) and QR login (onQrLink, confirmed from another session of the
 * same account), each ending at authorizationStateReady.
 */
import t from 'tap'
import { startSandboxBroker, siptgOnSandbox, ALICE } from '../../test/resolve/helpers.js'
import { tempDir } from '../../test/helpers/broker.js'
import { connect, login } from '../src/index.js'
import { within } from './helpers.js'

const SETTINGS = siptgOnSandbox({
  allowed_requests: ['setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'checkAuthenticationPassword', 'registerUser',
    'requestQrCodeAuthentication', 'confirmQrCodeAuthentication', 'getAuthorizationState', 'getMe'],
  allowed_updates: ['updateAuthorizationState']
})

t.test('a new number registers: the helper asks getName and the account is the new user', async t => {
  const b = await startSandboxBroker(tempDir(), SETTINGS)
  t.teardown(b.stop)
  const client = await connect({ url: `tcp://127.0.0.1:${b.port}` })
  t.teardown(() => { client.close() })
  const session = await client.createSession()
  const asked: string[] = []
  await within(login(session, {
    getPhoneNumber: () => { asked.push('phone'); return '+15559990001' },
    getAuthCode: () => { asked.push('code'); return '12345' },
    getName: () => { asked.push('name'); return { firstName: 'Nora', lastName: 'New' } }
  }), 30_000, 'the registration')
  t.same(asked, ['phone', 'code', 'name'], 'phone, code, then the name a new account needs')
  t.equal(session.authorizationState?.['@type'], 'authorizationStateReady')
  const me = await session.invoke({ '@type': 'getMe' })
  t.equal(me.first_name, 'Nora')
  t.equal(me.last_name, 'New')
  t.equal(me.phone_number, '15559990001')
})

t.test('QR login: the helper hands over the link, another session of the account confirms it', async t => {
  const b = await startSandboxBroker(tempDir(), SETTINGS)
  t.teardown(b.stop)
  const client = await connect({ url: `tcp://127.0.0.1:${b.port}` })
  t.teardown(() => { client.close() })
  const phone = await client.createSession()
  await within(login(phone, { getPhoneNumber: () => ALICE.phone, getAuthCode: () => '12345' }), 30_000, 'the first login')
  const qr = await client.createSession()
  const links: string[] = []
  let confirmed: Promise<unknown> | undefined
  await within(login(qr, {
    getPhoneNumber: () => { throw new Error('a QR login never asks for the phone number') },
    getAuthCode: () => { throw new Error('a QR login never asks for a code') },
    onQrLink: link => {
      links.push(link)
      confirmed ??= phone.invoke({ '@type': 'confirmQrCodeAuthentication', link })
    }
  }), 30_000, 'the QR login')
  t.equal(links.length >= 1, true, 'the link was handed over')
  t.match(links[0], /^tg:\/\/login\?token=/)
  t.match(await confirmed, { '@type': 'session' }, 'the other session confirmed it')
  t.equal(qr.authorizationState?.['@type'], 'authorizationStateReady')
  t.equal((await qr.invoke({ '@type': 'getMe' })).id, ALICE.id, 'the QR session is the same account')
})
