/**
 * Methods on existing messages: editMessageReplyMarkup, deleteMessages,
 * forwardMessage and copyMessage (TDLib's forwardMessages, with send_copy
 * for a copy). Forwards answer with the final message, after TDLib's
 * updateMessageSendSucceeded, as sendMessage does.
 */
import type { Message, MessageId } from '@grammyjs/types'
import { toMessage, toTdMessageId } from './convert.js'
import { badRequest } from './errors.js'
import type { MethodContext, MethodDef } from './methods.js'
import type { Params } from './params.js'
import { replyMarkup } from './text.js'

/** A numeric chat id parameter; @username is not supported yet. */
export function chatIdParam (p: Params, name = 'chat_id'): number {
  const raw = p.string(name)
  if (raw !== undefined && raw.startsWith('@')) throw badRequest(`${name} as @username is not supported by the tdbroker gateway yet; use the numeric id`)
  return p.requiredInt(name)
}

const editMessageReplyMarkup: MethodDef = {
  td: ['editMessageReplyMarkup'],
  run: async (ctx): Promise<Message> => {
    const p = ctx.params
    if (p.has('inline_message_id')) throw badRequest('inline_message_id is not supported by the tdbroker gateway yet')
    const markup = replyMarkup(p, true)
    const edited = await ctx.call({
      '@type': 'editMessageReplyMarkup',
      chat_id: chatIdParam(p),
      message_id: toTdMessageId(p.requiredInt('message_id')),
      ...(markup === undefined ? {} : { reply_markup: markup })
    })
    return await toMessage(edited, ctx.bot.known)
  }
}

const deleteMessages: MethodDef = {
  td: ['deleteMessages'],
  run: async ctx => {
    const p = ctx.params
    const ids = p.json('message_ids')
    if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100 || !ids.every(id => Number.isSafeInteger(id))) {
      throw badRequest('message_ids must be a JSON array of 1 to 100 message ids')
    }
    await ctx.call({ '@type': 'deleteMessages', chat_id: chatIdParam(p), message_ids: ids.map(id => toTdMessageId(id as number)), revoke: true })
    return true
  }
}

async function forward (ctx: MethodContext, copy: boolean): Promise<Message> {
  const p = ctx.params
  const answer = await ctx.call({
    '@type': 'forwardMessages',
    chat_id: chatIdParam(p),
    from_chat_id: chatIdParam(p, 'from_chat_id'),
    message_ids: [toTdMessageId(p.requiredInt('message_id'))],
    send_copy: copy,
    remove_caption: false,
    ...(p.bool('disable_notification') ? { options: { '@type': 'messageSendOptions', disable_notification: true } } : {})
  })
  const temporary = (answer.messages as Array<Record<string, any> | null> | undefined)?.[0]
  if (temporary === undefined || temporary === null) throw badRequest('message to forward not found, or of a kind that cannot be forwarded')
  return await toMessage(await ctx.bot.sent(temporary as Record<string, any> & { '@type': string }), ctx.bot.known)
}

const forwardMessage: MethodDef = { td: ['forwardMessages'], run: async ctx => await forward(ctx, false) }

const copyMessage: MethodDef = {
  td: ['forwardMessages'],
  run: async (ctx): Promise<MessageId> => ({ message_id: (await forward(ctx, true)).message_id })
}

export const MESSAGE_METHODS: Readonly<Record<string, MethodDef>> = { editMessageReplyMarkup, deleteMessages, forwardMessage, copyMessage }
