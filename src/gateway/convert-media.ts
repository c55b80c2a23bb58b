/**
 * Documents and photos of TDLib messages as the Bot API shows them. As in
 * telegram-bot-api, a file_id is TDLib's remote file id (so sendDocument
 * and sendPhoto take it back as inputFileRemote) and file_unique_id its
 * unique id; photo sizes go smallest first, as TDLib lists them.
 */
import type { Document, Message, MessageEntity, PhotoSize } from '@grammyjs/types'

type Obj = Record<string, any>

function fileIds (file: Obj): { file_id: string, file_unique_id: string, file_size?: number } {
  const remote = (file.remote ?? {}) as Obj
  const size = Number(file.size ?? 0) > 0 ? Number(file.size) : Number(file.expected_size ?? 0)
  return { file_id: String(remote.id ?? ''), file_unique_id: String(remote.unique_id ?? ''), ...(size > 0 ? { file_size: size } : {}) }
}

function toPhotoSize (s: Obj): PhotoSize {
  return { ...fileIds(s.photo as Obj), width: Number(s.width ?? 0), height: Number(s.height ?? 0) }
}

function toDocument (d: Obj): Document {
  const doc: Document = fileIds(d.document as Obj)
  if (typeof d.file_name === 'string' && d.file_name !== '') doc.file_name = d.file_name
  if (typeof d.mime_type === 'string' && d.mime_type !== '') doc.mime_type = d.mime_type
  if (d.thumbnail?.file !== undefined) doc.thumbnail = { ...fileIds(d.thumbnail.file as Obj), width: Number(d.thumbnail.width ?? 0), height: Number(d.thumbnail.height ?? 0) }
  return doc
}

/**
 * Adds `document` or `photo`, with `caption` and `caption_entities`, for
 * messageDocument and messagePhoto; other contents are left alone.
 * `entities` converts TDLib's (convert.ts's, given so this file imports nothing of it).
 */
export async function addMedia (message: Message, content: Obj, entities: (list: Obj[]) => Promise<MessageEntity[]>): Promise<void> {
  if (content['@type'] === 'messageDocument') message.document = toDocument(content.document as Obj)
  else if (content['@type'] === 'messagePhoto') {
    message.photo = ((content.photo as Obj | undefined)?.sizes as Obj[] | undefined ?? []).map(toPhotoSize)
    if (content.show_caption_above_media === true) message.show_caption_above_media = true
    if (content.has_spoiler === true) message.has_media_spoiler = true
  } else return
  const text = content.caption as Obj | undefined
  if (typeof text?.text === 'string' && text.text !== '') {
    message.caption = text.text
    const converted = await entities(text.entities as Obj[] ?? [])
    if (converted.length > 0) message.caption_entities = converted
  }
}
