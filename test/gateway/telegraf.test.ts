/**
 * Unmodified telegraf against the gateway, with the lines docs/bot-api.md
 * gives: a bot on long polling (bot.launch()) receives a customer message
 * and replies; a bot behind telegraf's webhookCallback sends a keyboard and
 * answers the press, its answerCbQuery going back in the webhook's response
 * body (telegraf's webhookReply), which the gateway runs. Both scenarios are
 * helpers.ts's pollingEcho and webhookButton.
 */
import t from 'tap'
import { Markup, Telegraf } from 'telegraf'
import { answerRecordingServer, pollingEcho, webhookButton } from './helpers.js'

t.test('telegraf on long polling receives a message and replies', async t => {
  await pollingEcho(t, 'hello telegraf', async (token, apiRoot, heard) => {
    const bot = new Telegraf(token, { telegram: { apiRoot } })
    bot.on('text', async ctx => {
      heard(ctx.message.text)
      await ctx.reply(`echo: ${ctx.message.text}`)
    })
    const errors: unknown[] = []
    bot.catch(e => { errors.push(e) })
    let launched: () => void = () => {}
    const ready = new Promise<void>(resolve => { launched = resolve })
    const polling = bot.launch(() => { launched() })
    await ready
    t.equal(bot.botInfo?.is_bot, true)
    return { botId: bot.botInfo?.id, errors, stop: async () => { bot.stop('test over'); await polling.catch(() => {}) } }
  })
})

t.test('telegraf behind webhookCallback handles a callback button', async t => {
  // What telegraf answered the gateway with, to see answerCallbackQuery travel in a response body.
  const answered: string[] = []
  await webhookButton(t, async (token, apiRoot, pressed) => {
    const bot = new Telegraf(token, { telegram: { apiRoot } })
    bot.command('start', async ctx => { await ctx.reply('Choose', Markup.inlineKeyboard([Markup.button.callback('Go', 'go')])) })
    bot.action('go', async ctx => {
      pressed('go')
      await ctx.answerCbQuery('Going')
    })
    const errors: unknown[] = []
    bot.catch(e => { errors.push(e) })
    bot.botInfo = await bot.telegram.getMe()
    const callback = bot.webhookCallback('/hook', { secretToken: 'hook-secret' })
    const server = answerRecordingServer(callback, answered)
    return { server, errors, setWebhook: async (url, secret) => await bot.telegram.setWebhook(url, { secret_token: secret }) }
  })
  t.ok(answered.some(body => body.includes('"method":"answerCallbackQuery"')), 'telegraf answered in the webhook response body')
})
