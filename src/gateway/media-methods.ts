/**
 * sendDocument and sendPhoto. A file comes as a multipart/form-data part
 * (the parameter itself, or `attach://<part>`), or as a file_id string;
 * an uploaded part goes into the session through the broker's upload
 * store (src/files/uploads.ts), so the pipeline's local-files step swaps
 * its reference for the path, as for broker.uploadFile, and the file is
 * deleted once TDLib confirmed the message. A URL is refused: the gateway
 * never has an address a token names fetched.
 */
import type { Message } from '@grammyjs/types'
import type { TdObject } from '../tdlib/backend.js'
import { toMessage } from './convert.js'
import { badRequest } from './errors.js'
import { chatIdParam } from './message-methods.js'
import type { MethodContext, MethodDef } from './methods.js'
import { type Params, UploadedFile } from './params.js'
import { formattedText, replyMarkup, replyTo } from './text.js'

/** A file parameter made ready for TDLib; `release` deletes an uploaded file once it is no longer needed. */
interface ReadyFile { readonly input: TdObject, release(): Promise<void> }

const NOTHING = async (): Promise<void> => {}

/** The InputFile for parameter `name`: an uploaded part, attach://<part> or a file_id (TDLib's remote file id). */
async function fileParam (ctx: MethodContext, name: string): Promise<ReadyFile> {
  const p = ctx.params
  let value = p.raw(name)
  if (typeof value === 'string' && value.startsWith('attach://')) {
    const part = value.slice('attach://'.length)
    value = p.raw(part)
    if (!(value instanceof UploadedFile)) throw badRequest(`parameter "${name}" names the part "${part.slice(0, 64)}", which is not a file part of this request`)
  }
  if (value instanceof UploadedFile) return await ctx.upload(value)
  if (value === undefined || value === '') throw badRequest(`parameter "${name}" is required`)
  if (typeof value !== 'string') throw badRequest(`parameter "${name}" must be a file part of multipart/form-data or a file_id`)
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw badRequest(`parameter "${name}" is a URL, which the tdbroker gateway does not send (it never fetches an address a token names); upload the file as multipart/form-data or send a file_id`)
  }
  return { input: { '@type': 'inputFileRemote', id: value }, release: NOTHING }
}

function caption (ctx: MethodContext): TdObject | undefined {
  return ctx.params.has('caption') ? formattedText(ctx.backend, ctx.params, 'caption', 'caption_entities') : undefined
}

/** Sends `content` (with the file in it) as sendMessage does; the file is released whatever happens. */
async function sendWithFile (ctx: MethodContext, file: ReadyFile, content: TdObject): Promise<Message> {
  const p: Params = ctx.params
  try {
    const markup = replyMarkup(p)
    const reply = replyTo(p)
    const temporary = await ctx.call({
      '@type': 'sendMessage',
      chat_id: chatIdParam(p),
      input_message_content: content,
      ...(p.bool('disable_notification') ? { options: { '@type': 'messageSendOptions', disable_notification: true } } : {}),
      ...(markup === undefined ? {} : { reply_markup: markup }),
      ...(reply === undefined ? {} : { reply_to: reply })
    })
    return await toMessage(await ctx.bot.sent(temporary), ctx.bot.known)
  } finally {
    await file.release()
  }
}

/** Parameters that name a file this gateway does not take: refused before anything is uploaded. */
function refuseThumbnail (p: Params): void {
  if (p.has('thumbnail')) throw badRequest('thumbnail is not supported by the tdbroker gateway yet')
}

const sendDocument: MethodDef = {
  td: ['sendMessage'],
  run: async ctx => {
    refuseThumbnail(ctx.params)
    const text = caption(ctx)
    chatIdParam(ctx.params)
    const file = await fileParam(ctx, 'document')
    return await sendWithFile(ctx, file, {
      '@type': 'inputMessageDocument',
      document: { '@type': 'inputDocument', document: file.input, disable_content_type_detection: ctx.params.bool('disable_content_type_detection') },
      ...(text === undefined ? {} : { caption: text })
    })
  }
}

const sendPhoto: MethodDef = {
  td: ['sendMessage'],
  run: async ctx => {
    const p = ctx.params
    const text = caption(ctx)
    chatIdParam(p)
    const file = await fileParam(ctx, 'photo')
    return await sendWithFile(ctx, file, {
      '@type': 'inputMessagePhoto',
      photo: { '@type': 'inputPhoto', photo: file.input, added_sticker_file_ids: [], width: 0, height: 0 },
      show_caption_above_media: p.bool('show_caption_above_media'),
      has_spoiler: p.bool('has_spoiler'),
      ...(text === undefined ? {} : { caption: text })
    })
  }
}

export const MEDIA_METHODS: Readonly<Record<string, MethodDef>> = { sendDocument, sendPhoto }
