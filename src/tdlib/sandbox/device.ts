/**
 * A device is one session folder (TDLib's database directory) as the emulated
 * server knows it: which account it is logged in as, which users and chats it
 * has already been told about, and the updates waiting for it while no client
 * has the folder open.
 */
import type { TdObject } from '../backend.js'
import type { Update } from './td.js'
import { basicGroupObject, chatObject, supergroupObject, userObject } from './objects.js'
import type { World } from './world.js'

/** Updates kept for a closed session; past this the oldest are dropped. */
export const MAX_QUEUED_UPDATES = 10_000

/** Where a device's updates go while a client has it open. */
export interface UpdateSink {
  push(update: TdObject): void
}

export class Device {
  readonly directory: string
  /** The logged-in account, 0 when not logged in. */
  userId = 0
  sink: UpdateSink | undefined
  /** The client that has the folder open (TDLib locks it); at most one. */
  holder: object | undefined
  readonly knownUsers = new Set<number>()
  readonly knownChats = new Set<number>()
  /** Updates dropped because the queue was full while closed. */
  droppedUpdates = 0
  private queue: TdObject[] = []

  constructor (directory: string) {
    this.directory = directory
  }

  emit (update: Update): void {
    const value = update as TdObject
    if (this.sink !== undefined) {
      this.sink.push(value)
      return
    }
    if (this.queue.length >= MAX_QUEUED_UPDATES) {
      const drop = Math.ceil(MAX_QUEUED_UPDATES / 10)
      this.queue.splice(0, drop)
      this.droppedUpdates += drop
    }
    this.queue.push(value)
  }

  get queuedUpdates (): number {
    return this.queue.length
  }

  takeQueue (): TdObject[] {
    const queued = this.queue
    this.queue = []
    return queued
  }

  /** Sends updateUser unless this device already knows the user. */
  ensureUser (world: World, userId: number): void {
    if (userId === 0 || this.knownUsers.has(userId)) return
    const account = world.accounts.get(userId)
    if (account === undefined) return
    this.knownUsers.add(userId)
    this.emit({ '@type': 'updateUser', user: userObject(world, account, this.userId) })
  }

  /**
   * Sends what TDLib sends before a chat's first mention: the peer user or the
   * group object, then updateNewChat. Returns false for a chat that does not exist.
   */
  ensureChat (world: World, chatId: number): boolean {
    if (this.knownChats.has(chatId)) return true
    const conv = world.conversationFor(this.userId, chatId)
    if (conv === undefined) return false
    const g = conv.group
    if (g === undefined) this.ensureUser(world, chatId)
    else if (g.kind === 'basic') this.emit({ '@type': 'updateBasicGroup', basic_group: basicGroupObject(g, this.userId) })
    else this.emit({ '@type': 'updateSupergroup', supergroup: supergroupObject(g, this.userId) })
    this.knownChats.add(chatId)
    this.emit({ '@type': 'updateNewChat', chat: chatObject(world, conv, this.userId, false) })
    return true
  }

  /** Forgets the login and everything learned under it. */
  reset (): void {
    this.userId = 0
    this.knownUsers.clear()
    this.knownChats.clear()
    this.queue = []
    this.droppedUpdates = 0
  }
}
