/**
 * A bot's command menus (setCommands, getCommands, deleteCommands), one list
 * per scope and language as Telegram keeps them, with Telegram's checks on
 * commands and descriptions; and sendChatAction, which shows the others in
 * the chat updateChatAction.
 */
import { fail, int, ok, str, type Td, type TdIn, type Tl } from './td.js'
import type { ReadyCtx, ReadyHandlers } from './dispatch.js'
import { knownChat } from './lookups.js'
import { forEachDevice } from './delivery.js'

/** Commands a bot may set per scope and language, as Telegram's limit. */
const MAX_COMMANDS = 100

function botOnly (ctx: ReadyCtx): void {
  if (!ctx.me.isBot) fail(400, 'The method is available only to bots')
}

/** The key of one command list: bot, scope (with its chat and user) and language. */
function listKey (ctx: ReadyCtx, scope: TdIn<Tl.BotCommandScope$Input> | null | undefined, language: unknown): string {
  const type = scope?.['@type'] ?? 'botCommandScopeDefault'
  let where = ''
  switch (scope?.['@type']) {
    case undefined:
    case 'botCommandScopeDefault':
    case 'botCommandScopeAllPrivateChats':
    case 'botCommandScopeAllGroupChats':
    case 'botCommandScopeAllChatAdministrators':
      break
    case 'botCommandScopeChat':
    case 'botCommandScopeChatAdministrators':
      where = String(knownChat(ctx, int(scope.chat_id)).chatIdFor(ctx.me.id))
      break
    case 'botCommandScopeChatMember':
      where = `${knownChat(ctx, int(scope.chat_id)).chatIdFor(ctx.me.id)}/${int(scope.user_id)}`
      break
    default:
      return fail(400, 'Unsupported bot command scope')
  }
  const lang = str(language)
  if (lang !== '' && !/^[a-z]{2}$/.test(lang)) fail(400, 'Invalid language code specified')
  return `${ctx.me.id}|${type}|${where}|${lang}`
}

function command (c: TdIn<Tl.botCommand$Input>): Td<Tl.botCommand> {
  const name = str(c.command).replace(/^\//, '').toLowerCase()
  if (!/^[a-z0-9_]{1,32}$/.test(name)) fail(400, 'BOT_COMMAND_INVALID')
  const description = str(c.description).trim()
  if (description === '' || [...description].length > 256) fail(400, 'BOT_COMMAND_DESCRIPTION_INVALID')
  return { '@type': 'botCommand', command: name, description }
}

function chatAction (a: TdIn<Tl.ChatAction$Input> | null | undefined): Td<Tl.ChatAction> {
  switch (a?.['@type']) {
    case 'chatActionTyping': case 'chatActionRecordingVideo': case 'chatActionRecordingVoiceNote':
    case 'chatActionChoosingSticker': case 'chatActionChoosingLocation': case 'chatActionChoosingContact':
    case 'chatActionStartPlayingGame': case 'chatActionRecordingVideoNote': case 'chatActionCancel':
      return { '@type': a['@type'] }
    case 'chatActionUploadingVideo': case 'chatActionUploadingVoiceNote': case 'chatActionUploadingPhoto':
    case 'chatActionUploadingDocument': case 'chatActionUploadingVideoNote':
      return { '@type': a['@type'], progress: Math.min(100, Math.max(0, int(a.progress))) }
    case 'chatActionWatchingAnimations':
      return { '@type': 'chatActionWatchingAnimations', emoji: str(a.emoji) }
    default:
      return fail(400, 'Chat action must be given')
  }
}

export const botCommandHandlers: ReadyHandlers = {
  setCommands: (ctx, req) => {
    botOnly(ctx)
    const key = listKey(ctx, req.scope, req.language_code)
    const commands = (req.commands ?? []).map(command)
    if (commands.length > MAX_COMMANDS) fail(400, 'BOT_COMMANDS_TOO_MUCH')
    if (commands.length === 0) ctx.world.botCommands.delete(key)
    else ctx.world.botCommands.set(key, commands)
    return ok()
  },

  getCommands: (ctx, req) => {
    botOnly(ctx)
    return { '@type': 'botCommands', bot_user_id: ctx.me.id, commands: ctx.world.botCommands.get(listKey(ctx, req.scope, req.language_code)) ?? [] }
  },

  deleteCommands: (ctx, req) => {
    botOnly(ctx)
    ctx.world.botCommands.delete(listKey(ctx, req.scope, req.language_code))
    return ok()
  },

  sendChatAction: (ctx, req) => {
    const conv = knownChat(ctx, int(req.chat_id))
    const action = chatAction(req.action)
    if (conv.group !== undefined && !conv.group.members.has(ctx.me.id)) fail(400, 'Have no write access to the chat')
    forEachDevice(ctx.world, conv, (device, viewerId, chatId) => {
      if (viewerId === ctx.me.id || !device.knownChats.has(chatId)) return
      device.ensureUser(ctx.world, ctx.me.id)
      device.emit({ '@type': 'updateChatAction', chat_id: chatId, sender_id: { '@type': 'messageSenderUser', user_id: ctx.me.id }, action })
    })
    return ok()
  },
}
