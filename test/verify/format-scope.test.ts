/**
 * Issue 11 finding 12, end to end on the sandbox with format_fields set: a
 * client limited to Alice's chat in Bob's session writes a Markdown link to
 * tg://user?id=N as plain text. The format step turns it into an entity only
 * after the first chat-scope check, so only the second check (after
 * formatting) can refuse it. A mention of Alice herself still goes through,
 * which proves the text really is formatted and sent.
 */
import t from 'tap'
import type { Msg } from '../helpers/client.js'
import { errorName } from '../helpers/clients.js'
import { ALICE, deskScene } from '../helpers/desk.js'

const DAVE = 1000004

for (const markdown of [true, false]) {
  t.test(`a ${markdown ? 'Markdown' : 'HTML'} tg://user link in a format_fields text is refused for a chat-scoped client`, async t => {
    const { backend, desk, login } = await deskScene(t, {
      desk: ['sendMessage', 'getChat'],
      requests: ['searchPublicChat', 'getChatHistory'],
      settings: { format_fields: { inputMessageText: 'text' }, format_markdown: markdown }
    })
    const session = await login('15550001002', 'sandbox')
    await backend.request({ '@type': 'searchPublicChat', username: 'alice', '@session': session })
    t.equal((await desk.request({ '@type': 'broker.attachSession', session }))['@type'], 'broker.attached')

    const link = (id: number): string => markdown ? `hi [x](tg://user?id=${id})` : `hi <a href="tg://user?id=${id}">x</a>`
    const send = async (text: string): Promise<Msg> => await desk.request({
      '@type': 'sendMessage', chat_id: ALICE, '@session': session,
      input_message_content: { '@type': 'inputMessageText', text }
    })
    const history = async (): Promise<string> => JSON.stringify(await backend.request({ '@type': 'getChatHistory', chat_id: ALICE, from_message_id: 0, offset: 0, limit: 100, '@session': session }))

    const refused = await send(link(DAVE))
    t.equal(errorName(refused), 'CHAT_NOT_ALLOWED', 'a mention of Dave made by formatting is refused')
    t.match(refused.message, /tg:\/\/user link/, `refused by the check after formatting, on the entity it made: ${String(refused.message)}`)
    t.notOk((await history()).includes(`id=${DAVE}`), 'nothing reached Alice\'s chat')

    const allowed = await send(link(ALICE))
    t.equal(allowed['@type'], 'message', `a mention of Alice, inside the scope, is sent: ${JSON.stringify(allowed).slice(0, 200)}`)
    const content = JSON.stringify(allowed.content)
    t.ok(content.includes('textEntityType'), 'and it was formatted (it has an entity), so the refusal above came after formatting')
  })
}

t.test('a plain string stands for a formattedText only in the check before formatting', async t => {
  const { checkRequest } = await import('../../src/policy/chat-check.js')
  const request = { '@type': 'sendMessage', chat_id: ALICE, input_message_content: { '@type': 'inputMessageText', text: '[x](tg://user?id=1000004)' } }
  const nothingSeen = (): undefined => undefined
  t.same(checkRequest(request, new Set([ALICE]), nothingSeen, { plainText: true }), { anchored: true, chat: ALICE }, 'before formatting: nothing to check in the string yet')
  t.throws(() => checkRequest(request, new Set([ALICE]), nothingSeen), /text must be an object/, 'after formatting (or with no format_fields): a string left there is refused')
  const elsewhere = { ...request, input_message_content: { '@type': 'inputMessageDocument', document: 'x' } }
  t.throws(() => checkRequest(elsewhere, new Set([ALICE]), nothingSeen, { plainText: true }), /document must be an object/, 'only formattedText fields take a string')
})
