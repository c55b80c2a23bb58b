/**
 * An outgoing update's wire lines (src/session/outgoing.ts): the session
 * drops them once delivered (the update buffer keeps only the object), and
 * whatever asks afterwards (a resuming client, a client attaching) gets the
 * same lines again.
 */
import t from 'tap'
import { OutgoingUpdate } from '../../src/session/outgoing.js'

t.test('lines made again after forgetLines are the lines made before', async t => {
  const plain = new OutgoingUpdate('s1', 7, { '@type': 'updateOption', name: 'version', value: { '@type': 'optionValueString', value: '1.8.65' } })
  const withPath = new OutgoingUpdate('s1', 8, { '@type': 'updateFile', file: { '@type': 'file', id: 1, local: { '@type': 'localFile', path: '/srv/tdbroker/sessions/s1/documents/a.pdf' } } })
  const before = [plain.line(), plain.lineWithoutPaths(), withPath.line(), withPath.lineWithoutPaths()]
  t.equal(before[0], '{"@type":"updateOption","name":"version","value":{"@type":"optionValueString","value":"1.8.65"},"@session":"s1","@seq":7}')
  t.not(before[3], before[2], 'the path is blanked for clients without local_files')
  plain.forgetLines()
  withPath.forgetLines()
  t.same([plain.line(), plain.lineWithoutPaths(), withPath.line(), withPath.lineWithoutPaths()], before)
})
