import t from 'tap'
import { parseCommand, splitArgs } from '../src/parse.js'

t.test('commands and their parameters', async t => {
  t.same(parseCommand('/grant @bob can_read'), { ok: true, command: { name: 'grant', target: undefined, args: ['@bob', 'can_read'] } })
  t.same(parseCommand('/Grant@MyBot  a   b '), { ok: true, command: { name: 'grant', target: 'MyBot', args: ['a', 'b'] } })
  t.same(parseCommand('/say "two words" \'single "quoted"\' "esc \\" quote" plain'), { ok: true, command: { name: 'say', target: undefined, args: ['two words', 'single "quoted"', 'esc " quote', 'plain'] } })
  t.same(parseCommand('/say ""'), { ok: true, command: { name: 'say', target: undefined, args: [''] } }, 'an empty quoted parameter is a parameter')
  t.same(parseCommand('/say "open'), { ok: false, error: 'unclosed " quote' })
  t.equal(parseCommand('hello /grant'), undefined, 'not at the start')
  t.equal(parseCommand('/'), undefined)
  t.equal(parseCommand('/grant-x'), undefined, 'not a command name')
  t.same(parseCommand('!ping', '!'), { ok: true, command: { name: 'ping', target: undefined, args: [] } }, 'another prefix')
  t.same(splitArgs('a\tb\nc'), ['a', 'b', 'c'])
})
