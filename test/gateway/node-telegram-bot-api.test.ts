/**
 * Unmodified node-telegram-bot-api (v2) against the gateway, with the lines
 * docs/bot-api.md gives: a bot on long polling (bot.startPolling()) receives
 * a customer message and replies; a bot behind its own webhook server
 * (createWebhookServer from node-telegram-bot-api/node) sends a keyboard and
 * answers the press. Both scenarios are helpers.ts's pollingEcho and webhookButton.
 */
import t from 'tap'
import { Bot, InlineKeyboardBuilder } from 'node-telegram-bot-api'
import { createWebhookServer } from 'node-telegram-bot-api/node'
import { pollingEcho, webhookButton } from './helpers.js'

t.test('node-telegram-bot-api on long polling receives a message and replies', async t => {
  await pollingEcho(t, 'hello ntba', async (token, apiRoot, heard) => {
    const bot = new Bot(token, { apiRoot })
    bot.on('message', async ctx => {
      heard(ctx.message?.text ?? '')
      await ctx.reply(`echo: ${ctx.message?.text ?? ''}`)
    })
    const errors: unknown[] = []
    bot.catch(e => { errors.push(e) })
    const me = await bot.api.getMe()
    const polling = bot.startPolling(undefined, { timeout: 1 })
    return { botId: me.id, errors, stop: async () => { bot.stop(); await polling.catch(() => {}) } }
  })
})

t.test('node-telegram-bot-api behind createWebhookServer handles a callback button', async t => {
  await webhookButton(t, async (token, apiRoot, pressed) => {
    const bot = new Bot(token, { apiRoot })
    bot.command('start', async ctx => { await ctx.reply('Choose', { reply_markup: new InlineKeyboardBuilder().text('Go', 'go').build() }) })
    bot.on('callback_query', async ctx => {
      pressed(ctx.callbackQuery?.data)
      await ctx.answerCallbackQuery({ text: 'Going' })
    })
    const errors: unknown[] = []
    bot.catch(e => { errors.push(e) })
    const server = createWebhookServer(bot, { path: '/hook', secretToken: 'hook-secret' })
    return { server, errors, setWebhook: async (url, secret) => await bot.api.setWebhook({ url, secret_token: secret }) }
  })
})
