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

const USAGE = `usage: tdbroker bot-token add NAME --session ID --bot-id N [--client CLIENT] [--group]
  print a new Bot API token for consumer NAME of bot session ID (shown once) and its
  "bot_api.consumers" entry for settings.json; CLIENT (default NAME) is the clients entry whose scope applies;
  --group makes it a consumer group: several instances poll with the token, as <token>~<instance>`

const NAME = new RegExp(clientSchema.properties.name.pattern)

export async function botTokenCommand (args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const [sub, name, ...rest] = args
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    out(USAGE)
    return 0
  }
  const options = new Map<string, string>()
  const group = rest.includes('--group')
  const pairs = rest.filter(a => a !== '--group')
  for (let i = 0; i < pairs.length; i += 2) {
    const key = pairs[i] as string
    const value = pairs[i + 1]
    if (!['--session', '--bot-id', '--client'].includes(key) || value === undefined) {
      err(`tdbroker bot-token add: unexpected ${JSON.stringify(key)}${value === undefined ? ' without a value' : ''}`)
      err(USAGE)
      return 64
    }
    options.set(key, value)
  }
  if (sub !== 'add' || name === undefined) {
    err(USAGE)
    return 64
  }
  const session = options.get('--session')
  const botId = options.get('--bot-id')
  const client = options.get('--client') ?? name
  if (!NAME.test(name)) {
    err(`tdbroker bot-token add: the name ${JSON.stringify(name)} ${clientSchema.properties.name['x-rule']}`)
    return 64
  }
  if (!NAME.test(client)) {
    err(`tdbroker bot-token add: the client ${JSON.stringify(client)} ${clientSchema.properties.name['x-rule']}`)
    return 64
  }
  if (session === undefined || !/^[1-9][0-9]{0,19}$/.test(session)) {
    err('tdbroker bot-token add: --session must be a session id (decimal digits)')
    return 64
  }
  if (botId === undefined || !/^[1-9][0-9]{0,14}$/.test(botId)) {
    err('tdbroker bot-token add: --bot-id must be the bot\'s user id (the digits before ":" of its BotFather token)')
    return 64
  }
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
