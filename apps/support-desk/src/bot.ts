/**
 * The bot's side, on the toolkit: one state machine per private chat, the
 * department commands and buttons for customers, and the staff commands
 * (/to, /open, /transfer, /close, /history) for staff members, who write to
 * the same bot from their own accounts.
 */
import type { ChatContext, CommandDefinition, States } from '@tdbroker/toolkit'
import { DEPARTMENTS, isDepartment, titleOf, type DepartmentId } from './departments.js'
import type { Desk } from './desk.js'
import type { TelegramStaffBridge } from './telegram-staff.js'

export const WELCOME = 'Welcome! Which department would you like to talk to?'
const CHOOSE_FIRST = 'Please choose a department first:'
const STAFF_HELP = 'You are on the desk. Reply to a customer\'s message to answer it, or /to <number> and write. /open lists your conversations; /transfer <department> [number], /close [number], /history [number].'

export const DEPARTMENT_BUTTONS = DEPARTMENTS.map(d => [{ id: `dept:${d.id}`, text: d.title }])

export interface BotParts { desk: Desk, staff: TelegramStaffBridge, customerName: (userId: number) => Promise<string> }

/** The toolkit's states and commands for the desk. */
export function deskBot (p: BotParts): { states: States, commands: CommandDefinition[] } {
  const route = async (ctx: ChatContext, department: DepartmentId): Promise<void> => {
    const userId = ctx.userId
    if (userId === undefined) return
    if (p.desk.staff(userId) !== undefined) { await ctx.send('Staff members answer here; customers choose departments.'); return }
    const { conversation, already } = await p.desk.choose(userId, await p.customerName(userId), department)
    if (already) await ctx.send(`You are already talking to ${titleOf(department)}. Write your message.`)
    else await ctx.send(`You are now with ${titleOf(department)}${p.desk.byName(conversation.staffId)}. Write your message.`)
  }

  const staffOnly = (run: (ctx: ChatContext, staffId: number, args: string[]) => Promise<void>) => async (ctx: ChatContext, args: string[]): Promise<void> => {
    const staffId = ctx.userId
    if (staffId === undefined || p.desk.staff(staffId) === undefined) { await ctx.send('That command is for staff members.'); return }
    await run(ctx, staffId, args)
  }

  /** The conversation a staff command names ("12" or "#12"), else the staff member's current one. */
  const which = (staffId: number, arg: string | undefined): number | undefined => {
    if (arg === undefined) return p.desk.store.focus(staffId)
    const n = Number(arg.replace(/^#/, ''))
    return Number.isSafeInteger(n) && n > 0 ? n : undefined
  }

  const attempt = async (ctx: ChatContext, fn: () => Promise<void>): Promise<void> => {
    try { await fn() } catch (e) {
      if (e instanceof Error && e.name === 'DeskError') await ctx.send(`${e.message}.`)
      else throw e
    }
  }

  const commands: CommandDefinition[] = [
    {
      name: 'start', description: 'Choose a department',
      run: async ctx => {
        if (p.desk.staff(ctx.userId) !== undefined) await ctx.send(STAFF_HELP)
        else await ctx.send(WELCOME, { buttons: DEPARTMENT_BUTTONS })
      }
    },
    ...DEPARTMENTS.map(d => ({ name: d.id, description: d.title, run: async (ctx: ChatContext) => { await route(ctx, d.id) } })),
    {
      name: 'to', description: 'Staff: make a conversation your current one', params: ['number'],
      run: staffOnly(async (ctx, staffId, [arg]) => {
        const c = p.desk.store.conversation(which(staffId, arg) ?? 0)
        if (c?.status !== 'open' || c.staffId !== staffId) { await ctx.send(`#${arg ?? ''} is not one of your open conversations (/open).`); return }
        p.desk.store.setFocus(staffId, c.id)
        await ctx.send(`Now writing to #${c.id} (${c.customerName}, ${titleOf(c.department)}).`)
      })
    },
    {
      name: 'open', description: 'Staff: your open conversations',
      run: staffOnly(async (ctx, staffId) => {
        const focus = p.desk.store.focus(staffId)
        const lines = p.desk.store.openOfStaff(staffId).map(c => `${c.id === focus ? '▶' : ' '} #${c.id} ${c.customerName} (${titleOf(c.department)})`)
        await ctx.send(lines.length === 0 ? 'No open conversations.' : lines.join('\n'))
      })
    },
    {
      name: 'transfer', description: 'Staff: move a conversation to another department', params: ['department', 'number?'],
      run: staffOnly(async (ctx, staffId, [department = '', arg]) => {
        if (!isDepartment(department)) { await ctx.send(`Departments: ${DEPARTMENTS.map(d => d.id).join(', ')}.`); return }
        const id = which(staffId, arg)
        if (id === undefined) { await ctx.send('Which conversation? /transfer <department> <number>.'); return }
        await attempt(ctx, async () => {
          const c = await p.desk.transfer(id, department, staffId)
          await ctx.send(`#${id} transferred to ${titleOf(department)}${c.staffId === 0 ? ' (nobody there yet)' : ''}.`)
        })
      })
    },
    {
      name: 'close', description: 'Staff: close a conversation', params: ['number?'],
      run: staffOnly(async (ctx, staffId, [arg]) => {
        const id = which(staffId, arg)
        if (id === undefined) { await ctx.send('Which conversation? /close <number>.'); return }
        await attempt(ctx, async () => { await p.desk.close(id, staffId) })
      })
    },
    {
      name: 'history', description: 'Staff: the last messages of a conversation', params: ['number?'],
      run: staffOnly(async (ctx, staffId, [arg]) => {
        const c = p.desk.store.conversation(which(staffId, arg) ?? 0)
        if (c === undefined) { await ctx.send('Which conversation? /history <number>.'); return }
        const lines = p.desk.history(c.id, 20).map(m => `${new Date(m.at).toISOString().slice(11, 19)} ${m.author === 'customer' ? c.customerName : m.author === 'staff' ? (p.desk.staff(m.authorId)?.name ?? 'staff') : 'desk'}: ${m.text}${m.author !== 'desk' && m.deliveredAt === null ? ' (not delivered)' : ''}`)
        await ctx.send(`#${c.id} ${c.customerName}, ${titleOf(c.department)}, ${c.status}:\n${lines.join('\n')}`)
      })
    }
  ]

  const states: States = {
    desk: {
      onMessage: async (ctx, { message, text, userId }) => {
        if (userId === undefined || text === '') return
        if (p.desk.staff(userId) !== undefined) {
          const replyTo = message.reply_to?.['@type'] === 'messageReplyToMessage' ? message.reply_to.message_id : undefined
          const problem = await p.staff.fromStaff(userId, text, message.id, replyTo)
          if (problem !== undefined) await ctx.send(problem)
          return
        }
        const stored = await p.desk.customerMessage(userId, text, message.id)
        if (stored === undefined) await ctx.send(CHOOSE_FIRST, { buttons: DEPARTMENT_BUTTONS })
      },
      onButton: async (ctx, press) => {
        const department = press.id.startsWith('dept:') ? press.id.slice(5) : ''
        if (!isDepartment(department)) { await press.answer(); return }
        await press.answer(titleOf(department))
        await route(ctx, department)
      }
    }
  }
  return { states, commands }
}
