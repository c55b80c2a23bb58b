/**
 * The authorization commands of the seed, each behind its own can_*
 * privilege: users' privileges, privilege groups, and users' groups, in the
 * chat where they are given. The Admin group's rules are enforced here and
 * by the database (store.ts).
 */
import type { CommandDefinition } from './commands.js'
import type { ChatContext } from './context.js'
import { ADMIN_GROUP, type ToolkitStore } from './store.js'
import { GROUP_NAME, PRIVILEGE_NAME } from './parse.js'

export interface AuthDeps {
  store: ToolkitStore
  /** A user id from `@username` or a numeric id, or undefined when it names nobody. */
  resolveUser: (arg: string) => Promise<number | undefined>
  /** Every privilege name the toolkit knows (declared by commands, built in, or listed in options). */
  knownPrivileges: () => Set<string>
}

type Checked<T> = { ok: T } | { error: string }

export function authorizationCommands (deps: AuthDeps): CommandDefinition[] {
  const { store } = deps

  const privilege = (arg: string): Checked<string> => {
    const p = arg.toLowerCase()
    if (!PRIVILEGE_NAME.test(p)) return { error: `"${arg}" is not a privilege name (lowercase letters and underscores).` }
    if (!deps.knownPrivileges().has(p)) return { error: `Unknown privilege ${p}. Known: ${[...deps.knownPrivileges()].sort().join(', ')}.` }
    return { ok: p }
  }
  const group = (arg: string, mustExist: boolean, chatId: number): Checked<string> => {
    const g = arg.toLowerCase()
    if (!GROUP_NAME.test(g)) return { error: `"${arg}" is not a group name (a letter, then letters, digits or underscores, up to 32).` }
    if (mustExist && !store.groupExists(chatId, g)) return { error: `There is no group ${g}.` }
    return { ok: g }
  }
  const user = async (arg: string): Promise<Checked<number>> => {
    const id = await deps.resolveUser(arg)
    return id === undefined ? { error: `I don't know the user ${arg}.` } : { ok: id }
  }

  /** Runs `act` when every check passed, else sends the first error. */
  const when = async (ctx: ChatContext, checks: Array<Checked<unknown>>, act: () => string): Promise<void> => {
    const failed = checks.find((c): c is { error: string } => 'error' in c)
    await ctx.send(failed === undefined ? act() : failed.error)
  }
  const value = <T>(c: Checked<T>): T => (c as { ok: T }).ok

  return [
    {
      name: 'grant', description: 'Give a user a privilege in this chat', privileges: ['can_grant'], params: ['user', 'privilege'],
      run: async (ctx, [u = '', p = '']) => {
        const [who, what] = [await user(u), privilege(p)]
        await when(ctx, [who, what], () => store.grant(ctx.chatId, value(who), value(what))
          ? `Granted ${value(what)} to ${u}.` : `${u} already holds ${value(what)}.`)
      }
    },
    {
      name: 'revoke', description: 'Take a privilege from a user in this chat', privileges: ['can_revoke'], params: ['user', 'privilege'],
      run: async (ctx, [u = '', p = '']) => {
        const [who, what] = [await user(u), privilege(p)]
        await when(ctx, [who, what], () => {
          const had = store.revoke(ctx.chatId, value(who), value(what))
          const still = store.holds(ctx.chatId, value(who), value(what))
          const through = still ? ` ${u} still holds it through the groups ${store.userGroups(ctx.chatId, value(who)).join(', ')}.` : ''
          return (had ? `Revoked ${value(what)} from ${u}.` : `${u} was not granted ${value(what)} directly.`) + through
        })
      }
    },
    {
      name: 'groupadd', description: 'Create a privilege group', privileges: ['can_groupadd'], params: ['group'],
      run: async (ctx, [g = '']) => {
        const name = group(g, false, ctx.chatId)
        await when(ctx, [name], () => store.addGroup(ctx.chatId, value(name)) ? `Group ${value(name)} created.` : `Group ${value(name)} already exists.`)
      }
    },
    {
      name: 'groupdel', description: 'Delete a privilege group', privileges: ['can_groupdel'], params: ['group'],
      run: async (ctx, [g = '']) => {
        const name = group(g, true, ctx.chatId)
        await when(ctx, [name], () => value(name) === ADMIN_GROUP ? 'The admin group cannot be removed.'
          : store.deleteGroup(ctx.chatId, value(name)) ? `Group ${value(name)} deleted.` : `There is no group ${value(name)}.`)
      }
    },
    {
      name: 'groupgrant', description: 'Give a privilege group a privilege', privileges: ['can_groupgrant'], params: ['group', 'privilege'],
      run: async (ctx, [g = '', p = '']) => {
        const [name, what] = [group(g, true, ctx.chatId), privilege(p)]
        await when(ctx, [name, what], () => value(name) === ADMIN_GROUP ? 'The admin group holds every privilege already.'
          : store.groupGrant(ctx.chatId, value(name), value(what)) ? `Group ${value(name)} now holds ${value(what)}.` : `Group ${value(name)} already holds ${value(what)}.`)
      }
    },
    {
      name: 'grouprevoke', description: 'Take a privilege from a privilege group', privileges: ['can_grouprevoke'], params: ['group', 'privilege'],
      run: async (ctx, [g = '', p = '']) => {
        const [name, what] = [group(g, true, ctx.chatId), privilege(p)]
        await when(ctx, [name, what], () => value(name) === ADMIN_GROUP ? 'The admin group cannot lose a privilege.'
          : store.groupRevoke(ctx.chatId, value(name), value(what)) ? `Group ${value(name)} no longer holds ${value(what)}.` : `Group ${value(name)} did not hold ${value(what)}.`)
      }
    },
    {
      name: 'grouplist', description: 'List the privilege groups of this chat', privileges: ['can_grouplist'], params: [],
      run: async ctx => {
        const lines = store.groups(ctx.chatId).map(g =>
          `${g.name}: ${g.name === ADMIN_GROUP ? 'every privilege' : g.privileges.length === 0 ? 'no privileges' : g.privileges.join(' ')} (${g.members} ${g.members === 1 ? 'member' : 'members'})`)
        await ctx.send(`Groups:\n${lines.join('\n')}`)
      }
    },
    {
      name: 'usergroupadd', description: 'Add a user to a privilege group', privileges: ['can_usergroupadd'], params: ['user', 'group'],
      run: async (ctx, [u = '', g = '']) => {
        const [who, name] = [await user(u), group(g, true, ctx.chatId)]
        await when(ctx, [who, name], () => {
          if (value(name) === ADMIN_GROUP && !inAdmin(store, ctx)) return 'Only members of the admin group can change who is in it.'
          return store.addMember(ctx.chatId, value(name), value(who)) ? `${u} added to ${value(name)}.` : `${u} is already in ${value(name)}.`
        })
      }
    },
    {
      name: 'usergroupdel', description: 'Remove a user from a privilege group', privileges: ['can_usergroupdel'], params: ['user', 'group'],
      run: async (ctx, [u = '', g = '']) => {
        const [who, name] = [await user(u), group(g, true, ctx.chatId)]
        await when(ctx, [who, name], () => {
          if (value(name) === ADMIN_GROUP && !inAdmin(store, ctx)) return 'Only members of the admin group can change who is in it.'
          if (value(name) === ADMIN_GROUP && store.owner(ctx.chatId) === value(who)) return 'The chat\'s owner always stays in the admin group.'
          return store.removeMember(ctx.chatId, value(name), value(who)) ? `${u} removed from ${value(name)}.` : `${u} is not in ${value(name)}.`
        })
      }
    },
    {
      name: 'usergrouplist', description: 'List the privilege groups of a user', privileges: ['can_usergrouplist'], params: ['user'],
      run: async (ctx, [u = '']) => {
        const who = await user(u)
        await when(ctx, [who], () => {
          const groups = store.userGroups(ctx.chatId, value(who))
          const direct = store.userPrivileges(ctx.chatId, value(who))
          return `${u}: ${groups.length === 0 ? 'in no group' : `groups ${groups.join(', ')}`}; ${direct.length === 0 ? 'no privileges of their own' : `privileges ${direct.join(', ')}`}.`
        })
      }
    }
  ]
}

function inAdmin (store: ToolkitStore, ctx: ChatContext): boolean {
  return ctx.userId !== undefined && store.userGroups(ctx.chatId, ctx.userId).includes(ADMIN_GROUP)
}
