/**
 * The broker's CPU per update on the real TDLib backend, in-process: a
 * TDLib update as JSON text goes through what tdl's receive loop does with
 * it (JSON.parse, the client's handleReceive) and what the broker does next
 * (the backend's conversion, OutgoingUpdate's serialisation). Two clients
 * side by side: one on tdl's own path (rename '@type' to `_`, then back),
 * one with the backend's skipRenaming. The fan-out benchmark runs on the
 * sandbox, which never passes through tdl, so this is where that path shows.
 */
import { OutgoingUpdate } from '../../src/session/outgoing.js'
import { fromTdl } from '../../src/tdlib/rename.js'
import { fromTdlib, skipRenaming } from '../../src/tdlib/tdl-backend.js'
import { bareClient, type TdlClient } from './direct.js'

/** A private-chat text message as TDLib 1.8 sends it (about 1.2 KB of JSON). */
export const SAMPLE_UPDATE = JSON.stringify({
  '@type': 'updateNewMessage',
  message: {
    '@type': 'message', id: 1048576001, sender_id: { '@type': 'messageSenderUser', user_id: 1000002 }, chat_id: 1000002,
    sending_state: null, scheduling_state: null, is_outgoing: false, is_pinned: false, is_from_offline: false, can_be_saved: true,
    has_timestamped_media: true, is_channel_post: false, is_paid_star_suggested_post: false, is_paid_ton_suggested_post: false,
    contains_unread_mention: false, date: 1763770000, edit_date: 0, forward_info: null, import_info: null, interaction_info: null,
    unread_reactions: [], fact_check: null, suggested_post_info: null, reply_to: null, topic_id: null, self_destruct_type: null,
    self_destruct_in: 0, auto_delete_in: 0, via_bot_user_id: 0, sender_business_bot_user_id: 0, sender_boost_count: 0,
    paid_message_star_count: 0, author_signature: '', media_album_id: '0', effect_id: '0', restriction_info: null, summary_language_code: '',
    content: {
      '@type': 'messageText',
      text: { '@type': 'formattedText', text: 'Hello there, order 4711 is ready', entities: [{ '@type': 'textEntity', offset: 19, length: 4, type: { '@type': 'textEntityTypeBold' } }] },
      link_preview: null,
      link_preview_options: null
    },
    reply_markup: null
  }
})

interface Receiving { handleReceive(res: unknown): void }

/** Microseconds of CPU per update on each path; `updates` per measurement. */
export function measureUpdatePath (updates: number): { renaming: number, standIn: number } {
  const renaming = bareClient()
  const standIn = bareClient()
  skipRenaming(standIn)
  let seq = 0
  let bytes = 0
  renaming.on('update', (u: unknown) => { bytes += new OutgoingUpdate('1', ++seq, fromTdl(u) as never).line().length })
  standIn.on('update', (u: unknown) => { bytes += new OutgoingUpdate('1', ++seq, fromTdlib(u)).line().length })
  const run = (client: TdlClient): number => {
    const receiving = client as unknown as Receiving
    const start = process.cpuUsage()
    for (let i = 0; i < updates; i++) receiving.handleReceive(JSON.parse(SAMPLE_UPDATE))
    const used = process.cpuUsage(start)
    return (used.user + used.system) / updates
  }
  run(renaming)
  run(standIn)
  const result = { renaming: run(renaming), standIn: run(standIn) }
  if (bytes === 0) throw new Error('no update reached the broker side')
  void renaming.close().catch(() => {})
  void standIn.close().catch(() => {})
  return result
}
