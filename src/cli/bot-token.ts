/**
 * `tdbroker bot-token add NAME --session ID --bot-id N [--client CLIENT] [--group]`:
 * makes a new Bot API token for a consumer of a bot session, prints it once
 * (the broker keeps only its hash) and the bot_api.consumers entry to paste.
 * The bot id is the token's prefix, which frameworks read; it is the bot's
 * user id (the digits before ":" in the token BotFather gave).
 */
import { hashClientKey } from '../clients/key-hash.js'
import { newBotToken } from '../gateway/tokens.js'
import { clientSchema } from '../settings/schema.js'
import { runCommand, stringOption, UsageError, type CommandSpec } from './args.js'

export const BOT_TOKEN: CommandSpec = {
  usage: `usage: tdbroker bot-token add NAME --session ID --bot-id N [--client CLIENT] [--group]
  print a new Bot API token for consumer NAME of bot session ID (shown once) and its
  "bot_api.consumers" entry for settings.json; CLIENT (default NAME) is the clients entry whose scope applies;
  --group makes it a consumer group: several instances poll with the token, as <token>~<instance>`,
  options: { session: { type: 'string' }, 'bot-id': { type: 'string' }, client: { type: 'string' }, group: { type: 'boolean' } },
  positionals: [2, 2]
}

const NAME = new RegExp(clientSchema.properties.name.pattern)

export async function botTokenCommand (args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  return await runCommand('bot-token', BOT_TOKEN, args, out, err, async ({ values, positionals }) => {
    const [sub, name] = positionals as [string, string]
    if (sub !== 'add') throw new UsageError(`unknown subcommand "${sub}" (there is "add")`)
    const session = stringOption(values, 'session')
    const botId = stringOption(values, 'bot-id')
    const client = stringOption(values, 'client') ?? name
    if (!NAME.test(name)) throw new UsageError(`the name ${JSON.stringify(name)} ${clientSchema.properties.name['x-rule']}`)
    if (!NAME.test(client)) throw new UsageError(`the client ${JSON.stringify(client)} ${clientSchema.properties.name['x-rule']}`)
    if (session === undefined || !/^[1-9][0-9]{0,19}$/.test(session)) throw new UsageError('--session must be a session id (decimal digits)')
    if (botId === undefined || !/^[1-9][0-9]{0,14}$/.test(botId)) throw new UsageError('--bot-id must be the bot\'s user id (the digits before ":" of its BotFather token)')
    return await printToken(name, session, botId, client, values.group === true, out)
  })
}

async function printToken (name: string, session: string, botId: string, client: string, group: boolean, out: (line: string) => void): Promise<number> {
  const token = newBotToken(Number(botId))
  const entry = { name, bot_id: Number(botId), session, client, token_hash: await hashClientKey(token), ...(group ? { group: true } : {}) }
  out(`Bot API token for consumer "${name}" (shown only now; the broker keeps only its hash):`)
  out('')
  out(`  ${token}`)
  out('')
  out('Use it as the bot token of any Bot API framework, with the API root pointed at the broker (docs/bot-api.md).')
  if (group) out(`A consumer group: each instance polls as ${token.split(':')[0] ?? ''}:…~INSTANCE (its own name), or sends the header X-Tdbroker-Instance.`)
  out(`Add this entry to "bot_api.consumers" in settings.json (the client "${client}" must be in "clients"), then restart:`)
  out('')
  out(`  ${JSON.stringify(entry)}`)
  return 0
}
