import t from 'tap'
import { createSandboxBackend } from '../../../src/tdlib/sandbox/index.js'
import type { TdObject } from '../../../src/tdlib/backend.js'
import { SEED, problems, start, tempRoot } from './fixtures/harness.js'
import { tdConformance } from './fixtures/td-schema.js'

const root = tempRoot()
t.teardown(root.cleanup)

const sandbox = createSandboxBackend({ world: SEED })

/** execute, with the answer checked against TDLib's API. */
function execute (request: TdObject, expected: string): TdObject {
  const answer = sandbox.execute(request)
  for (const p of tdConformance(answer, answer['@type'] === 'error' ? 'error' : expected)) problems.push(`execute ${request['@type']}: ${p}`)
  return answer
}

function entities (answer: TdObject): Array<[number, number, string]> {
  return (answer.entities as TdObject[]).map(e => [e.offset as number, e.length as number, (e.type as TdObject)['@type']])
}

function markdown (text: string, version = 2): TdObject {
  return execute({ '@type': 'parseTextEntities', text, parse_mode: { '@type': 'textParseModeMarkdown', version } }, 'formattedText')
}

function html (text: string): TdObject {
  return execute({ '@type': 'parseTextEntities', text, parse_mode: { '@type': 'textParseModeHTML' } }, 'formattedText')
}

t.test('the backend says what it is', async t => {
  t.equal(sandbox.kind, 'sandbox')
  t.equal(sandbox.tdlibVersion, '1.8.65')
})

t.test('getTextEntities finds mentions, hashtags, commands, URLs and emails', async t => {
  const answer = execute({ '@type': 'getTextEntities', text: '@alice see #news /start https://example.com or mail a.b@example.org' }, 'textEntities')
  t.same(entities(answer), [
    [0, 6, 'textEntityTypeMention'],
    [11, 5, 'textEntityTypeHashtag'],
    [17, 6, 'textEntityTypeBotCommand'],
    [24, 19, 'textEntityTypeUrl'],
    [52, 15, 'textEntityTypeEmailAddress'],
  ])
})

t.test('Markdown v2: the common entities, escapes, and TDLib\'s errors', async t => {
  const parsed = markdown('*bold* _italic_ __under__ ~gone~ ||secret|| `code` [site](https://example.com/a\\)b) 1\\.5')
  t.equal(parsed.text, 'bold italic under gone secret code site 1.5')
  t.same(entities(parsed), [
    [0, 4, 'textEntityTypeBold'],
    [5, 6, 'textEntityTypeItalic'],
    [12, 5, 'textEntityTypeUnderline'],
    [18, 4, 'textEntityTypeStrikethrough'],
    [23, 6, 'textEntityTypeSpoiler'],
    [30, 4, 'textEntityTypeCode'],
    [35, 4, 'textEntityTypeTextUrl'],
  ])
  t.match(parsed.entities, [{}, {}, {}, {}, {}, {}, { type: { url: 'https://example.com/a)b' } }])
  t.match(markdown('```js\nlet x = 1\n```'), { text: 'let x = 1\n', entities: [{ type: { '@type': 'textEntityTypePreCode', language: 'js' } }] })
  t.same(entities(markdown('😀 *b*')), [[3, 1, 'textEntityTypeBold']], 'offsets count UTF-16 code units')
  t.same(markdown('1.5'), { '@type': 'error', code: 400, message: 'Can\'t parse entities: Character \'.\' is reserved and must be escaped with the preceding \'\\\'' })
  t.same(markdown('ok *bold'), { '@type': 'error', code: 400, message: 'Can\'t parse entities: Can\'t find end of Bold entity at byte offset 3' })
  t.same(markdown('1.5 *b*', 1), { '@type': 'formattedText', text: '1.5 b', entities: [{ '@type': 'textEntity', offset: 4, length: 1, type: { '@type': 'textEntityTypeBold' } }] },
    'version 1 does not reserve punctuation')
})

t.test('HTML: tags, links, pre with a language, character references, errors', async t => {
  const parsed = html('<b>bold</b> <i>it</i> <a href="https://x.org/?a=1&amp;b=2">link</a> <code>c</code> &lt;&amp;&gt; <tg-spoiler>s</tg-spoiler>')
  t.equal(parsed.text, 'bold it link c <&> s')
  t.same(entities(parsed), [
    [0, 4, 'textEntityTypeBold'],
    [5, 2, 'textEntityTypeItalic'],
    [8, 4, 'textEntityTypeTextUrl'],
    [13, 1, 'textEntityTypeCode'],
    [19, 1, 'textEntityTypeSpoiler'],
  ])
  t.match(parsed.entities, [{}, {}, { type: { url: 'https://x.org/?a=1&b=2' } }])
  t.match(html('<pre><code class="language-py">x = 1</code></pre>'), { text: 'x = 1', entities: [{ type: { '@type': 'textEntityTypePreCode', language: 'py' } }] })
  t.same(html('<blink>x</blink>'), { '@type': 'error', code: 400, message: 'Can\'t parse entities: Unsupported start tag "blink" at byte offset 0' })
  t.same(html('<b>x</i>'), { '@type': 'error', code: 400, message: 'Can\'t parse entities: Unmatched end tag at byte offset 4, expected "</b>", found "</i>"' })
  t.same(html('<b>x'), { '@type': 'error', code: 400, message: 'Can\'t parse entities: Can\'t find end tag corresponding to start tag "b"' })
})

t.test('execute: options; methods that are not synchronous are refused', async t => {
  t.same(execute({ '@type': 'getOption', name: 'version' }, 'OptionValue'), { '@type': 'optionValueString', value: '1.8.65' })
  t.same(execute({ '@type': 'getOption', name: 'tdbroker_sandbox' }, 'OptionValue'), { '@type': 'optionValueBoolean', value: true })
  t.same(execute({ '@type': 'getOption', name: 'no_such_option' }, 'OptionValue'), { '@type': 'optionValueEmpty' })
  t.same(execute({ '@type': 'setLogVerbosityLevel', new_verbosity_level: 0 }, 'Ok'), { '@type': 'ok' })
  t.same(execute({ '@type': 'getMe' }, 'User'), { '@type': 'error', code: 400, message: 'The method can\'t be executed synchronously' })
})

t.test('invoke: test methods, proxies, unknown methods', async t => {
  const s = await start(sandbox, root.dir('tests'))
  t.same(await s.invoke({ '@type': 'testSquareInt', x: 12 }), { '@type': 'testInt', value: 144 })
  t.same(await s.invoke({ '@type': 'testCallString', x: 'echo' }), { '@type': 'testString', value: 'echo' })
  t.same(await s.invoke({ '@type': 'testCallEmpty' }), { '@type': 'ok' })
  t.same(await s.invoke({ '@type': 'testReturnError', error: { '@type': 'error', code: 418, message: 'teapot' } }), { '@type': 'error', code: 418, message: 'teapot' })
  t.same(await s.invoke({ '@type': 'fooBar' }), { '@type': 'error', code: 400, message: 'Method not supported by the sandbox: fooBar' })
  t.same(await s.invoke({ '@type': 'getTextEntities', text: '#x' }), { '@type': 'textEntities', entities: [{ '@type': 'textEntity', offset: 0, length: 2, type: { '@type': 'textEntityTypeHashtag' } }] },
    'synchronous methods can be invoked too')
  const proxy = await s.invoke({ '@type': 'addProxy', proxy: { '@type': 'proxy', server: '127.0.0.1', port: 1080, type: { '@type': 'proxyTypeSocks5', username: '', password: '' } }, enable: true, comment: '' })
  t.match(proxy, { '@type': 'addedProxy', is_enabled: true, proxy: { server: '127.0.0.1', port: 1080, type: { '@type': 'proxyTypeSocks5' } } })
  t.same(await s.invoke({ '@type': 'addProxy', proxy: { '@type': 'proxy', server: 'x', port: 0, type: { '@type': 'proxyTypeHttp' } } }),
    { '@type': 'error', code: 400, message: 'Wrong port number' })
  await s.ok({ '@type': 'setOption', name: 'my_flag', value: { '@type': 'optionValueBoolean', value: true } })
  t.same(await s.invoke({ '@type': 'getOption', name: 'my_flag' }), { '@type': 'optionValueBoolean', value: true })
  await s.close()
})

t.test('every update and answer above matches TDLib 1.8.65', async t => {
  t.same(problems, [])
})
