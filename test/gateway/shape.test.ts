/**
 * The run-time checker of Bot API objects (bot-api-shape.ts) catches what
 * Telegram would not send: missing required fields, fields a type lacks,
 * wrong primitives, a wrong kind of a union, and a field that must be absent.
 */
import t from 'tap'
import { shapeProblems } from './bot-api-shape.js'

const user = { id: 1, is_bot: false, first_name: 'A' }
const chat = { id: 1, type: 'private', first_name: 'A' }

t.test('the checker', async t => {
  const message = { message_id: 1, date: 2, chat, from: user, text: 'hi', entities: [{ offset: 0, length: 2, type: 'bold' }] }
  t.same(shapeProblems({ update_id: 1, message }, 'Update'), [])
  t.same(shapeProblems({ update_id: 1, message: { ...message, from: undefined } }, 'Update'), ['$.message.from: missing in Message & NonChannel'], 'a message in a private chat has from')
  t.same(shapeProblems({ ...message, bogus: 1 }, 'Message'), ['$.bogus: Message has no such field'])
  t.same(shapeProblems({ ...message, date: '2' }, 'Message'), ['$.date: expected a number, got "2"'])
  t.same(shapeProblems({ ...message, chat: { id: 1, type: 'private' } }, 'Message'), ['$.chat.first_name: missing in PrivateChat'])
  t.same(shapeProblems({ status: 'kicked', user }, 'ChatMember'), ['$.until_date: missing in ChatMemberBanned'], 'the union member of the same status is the one blamed')
  t.same(shapeProblems({ status: 'left', user }, 'ChatMember'), [])
  t.same(shapeProblems({ ...message, reply_to_message: { ...message, reply_to_message: message } }, 'Message'),
    ['$.reply_to_message.reply_to_message: must be absent in ReplyMessage'], 'a replied message has no reply of its own')
  t.same(shapeProblems([{ command: 'start', description: 'Start' }, { command: 'help' }], 'BotCommands'), ['$[1].description: missing in BotCommand'])
})
