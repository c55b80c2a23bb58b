/**
 * The frame scanner and parseLine/replyLine, without sockets: nesting is
 * measured outside strings only, and @extra is found where JSON.parse finds
 * it (escaped keys, duplicates: the last wins) and sent back as written.
 */
import t from 'tap'
import { MAX_FRAME_DEPTH, scanFrame } from '../../src/server/json-scan.js'
import { parseLine, replyLine, WireError } from '../../src/server/wire.js'

/** The @extra text scanFrame finds, or undefined. */
function extraText (line: string): string | undefined {
  const s = scanFrame(line)
  return s.extraStart < 0 ? undefined : line.slice(s.extraStart, s.extraEnd)
}

/** What parseLine refuses the line with: the error name, and the @extra text carried. */
function refusal (line: string): { name: string, extraJson: string | undefined } {
  try {
    parseLine(line)
  } catch (e) {
    if (!(e instanceof WireError)) throw e
    return { name: e.error.errorName, extraJson: e.replyTo.extraJson }
  }
  throw new Error(`parseLine accepted ${line}`)
}

t.test('depth counts objects and arrays outside strings', async t => {
  t.equal(scanFrame('{}').depth, 1)
  t.equal(scanFrame('{"a":[1,{"b":[]}]}').depth, 4)
  t.equal(scanFrame('{"a":"[[[[{{{{"}').depth, 1, 'brackets inside a string do not count')
  t.equal(scanFrame('{"a":"x\\"[[[","b":[]}').depth, 2, 'an escaped quote does not end the string')
  t.equal(scanFrame('{"a":"x\\\\","b":[[]]}').depth, 3, 'an escaped backslash before the quote does end it')
  t.equal(scanFrame('"unterminated [[[').depth, 0)
  t.equal(scanFrame('['.repeat(100_000)).depth, 100_000, 'a deep line costs no stack')
  t.equal(scanFrame('').depth, 0)
})

t.test('the top-level @extra is found as written, the way JSON.parse reads keys', async t => {
  t.equal(extraText('{"@type":"x","@extra":12345678901234567890}'), '12345678901234567890')
  t.equal(extraText('{"@extra" :  { "b" : 1 , "a":[2] }  ,"@type":"x"}'), '{ "b" : 1 , "a":[2] }', 'spacing inside kept, around trimmed')
  t.equal(extraText('{"@extra":"a,b}c\\"d"}'), '"a,b}c\\"d"')
  t.equal(extraText('{"@extra":1,"@extra":"second"}'), '"second"', 'of duplicates the last wins')
  t.equal(extraText('{"\\u0040extra":true}'), 'true', 'an escaped key is decoded')
  t.equal(extraText('{"\\u0040\\u0065\\u0078\\u0074\\u0072\\u0061":null}'), 'null', 'every character escaped')
  t.equal(extraText('{"@extra":1,"\\u0040extra":2}'), '2', 'duplicates across spellings: the last wins')
  t.equal(extraText('{"a":{"@extra":1}}'), undefined, 'a nested @extra is not the request\'s')
  t.equal(extraText('{"a":"@extra","b":":5"}'), undefined, 'a string value "@extra" is not a key')
  t.equal(extraText('[{"@extra":1}]'), undefined, 'an array frame has no @extra')
  t.equal(extraText('{"@extrax":1,"x@extra":2}'), undefined)
  for (const line of ['{"@extra":-0.0e+5}', '{"@extra":[]}', '{"@extra":{}}', '{"@extra":"\\ud800"}', '{"@extra":1e400}']) {
    const parsed = JSON.parse(line) as Record<string, unknown>
    t.ok(Object.hasOwn(parsed, '@extra'))
    t.equal(extraText(line), line.slice('{"@extra":'.length, -1), line)
  }
})

t.test('parseLine refuses a frame nested deeper than MAX_FRAME_DEPTH before parsing it', async t => {
  const at = (n: number): string => '{"@type":"broker.ping","@extra":' + '['.repeat(n - 1) + ']'.repeat(n - 1) + '}'
  t.equal(parseLine(at(MAX_FRAME_DEPTH)).type, 'broker.ping', `depth ${MAX_FRAME_DEPTH} is accepted`)
  t.same(refusal(at(MAX_FRAME_DEPTH + 1)), { name: 'FRAME_TOO_DEEP', extraJson: undefined }, 'one more is refused, without the deep @extra')
  t.same(refusal(at(5001)), { name: 'FRAME_TOO_DEEP', extraJson: undefined }, 'the line of issue 10')
  const deepObject = '{"@type":"x","@extra":"keep","d":' + '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000) + '}'
  t.same(refusal(deepObject), { name: 'FRAME_TOO_DEEP', extraJson: '"keep"' }, 'a shallow @extra comes with the refusal')
  t.same(refusal('{"@extra":[1,' + '['.repeat(200)), { name: 'FRAME_TOO_DEEP', extraJson: undefined }, 'an @extra that is not valid JSON is not echoed')
  t.same(refusal('{"@type":"x","@extra":[1,2] oops,"d":' + '['.repeat(100) + '}'), { name: 'FRAME_TOO_DEEP', extraJson: undefined })
  t.same(refusal('[' + '{"a":'.repeat(100)), { name: 'FRAME_TOO_DEEP', extraJson: undefined }, 'an unterminated deep line too')
})

t.test('replyLine sends @extra exactly as the client wrote it', async t => {
  for (const extra of ['12345678901234567890', '1.50', '-0', '1e400', '{"b":1,"a":2}', '"\\u00e9\\/"', '[ 1 ,\t2 ]', 'null', 'false', '"\\ud83d"']) {
    const line = `{"@type":"broker.ping","@extra":${extra}}`
    const reply = replyLine({ '@type': 'broker.pong' }, parseLine(line).replyTo)
    t.equal(reply, `{"@type":"broker.pong","@extra":${extra}}`, extra)
  }
  const broken = parseLine('{"@type":"broker.ping","@extra":[1,\n2,\r\n3]}')
  t.equal(replyLine({ '@type': 'broker.pong' }, broken.replyTo), '{"@type":"broker.pong","@extra":[1, 2,  3]}', 'line breaks become spaces')
  const missing = refusal('{"@extra":12345678901234567890}')
  t.same(missing, { name: 'MISSING_TYPE', extraJson: '12345678901234567890' }, 'error replies carry it as written too')
  const withSession = replyLine({ '@type': 'ok', '@extra': 'tdlib', '@session': 'x' }, { ...parseLine('{"@type":"t","@extra":9007199254740993}').replyTo, session: '42' })
  t.equal(withSession, '{"@type":"ok","@extra":9007199254740993,"@session":"42"}', "TDLib's own @extra is replaced by the client's")
  t.equal(replyLine({ '@type': 'x' }, { hasExtra: true, extra: { built: 1 } }), '{"@type":"x","@extra":{"built":1}}', 'a value the broker made is encoded')
})
