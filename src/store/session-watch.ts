/**
 * What the store needs to see of a session's life, taken at the backend
 * seam so the session code stays unaware of storage: a decorator around
 * TdBackend that reports when a client starts, is used, logs in and is
 * closed cleanly by the broker.
 *
 * "Closed cleanly" means the broker called close() on a client whose TDLib
 * had opened its folder (it left authorizationStateWaitTdlibParameters) and
 * that had not closed by itself (logOut, destroy, a failure). The report is
 * awaited inside close(), which the session awaits while it is "stopping",
 * so the folder cannot be reopened until the report (the backup) is done.
 */
import { withClients, type TdBackend, type TdClient, type TdObject } from '../tdlib/backend.js'

export interface SessionWatcher {
  /** A TDLib client is being created for the session. */
  started(sessionId: string, directory: string): void
  /** A request is going to the session. */
  used(sessionId: string): void
  /** The session reached authorizationStateReady; `client` may be asked (getMe). */
  authorized(sessionId: string, directory: string, client: TdClient): void
  /** The broker closed the session cleanly; its folder is closed and quiet until this resolves. */
  closedCleanly(sessionId: string, directory: string): Promise<void>
  /** The client is closing or has closed, whoever closed it (called before closedCleanly). */
  stopped(sessionId: string): Promise<void>
}

export function watchBackend (backend: TdBackend, watcher: SessionWatcher): TdBackend {
  return withClients(backend, (options, events) => {
    const { sessionId, directory } = options
    let opened = false
    let closedByItself = false
    let closeAsked = false
    watcher.started(sessionId, directory)
    const inner = backend.createClient(options, {
      onUpdate (update) {
        if (update['@type'] === 'updateAuthorizationState') {
          const state = (update.authorization_state as TdObject | undefined)?.['@type']
          if (state !== 'authorizationStateWaitTdlibParameters') opened = true
          if (state === 'authorizationStateReady') watcher.authorized(sessionId, directory, inner)
        }
        events.onUpdate(update)
      },
      onClosed (reason) {
        if (!closeAsked) {
          closedByItself = true
          void watcher.stopped(sessionId)
        }
        events.onClosed(reason)
      },
    })
    let closing: Promise<void> | undefined
    return {
      // Not async: every request passes here, and the client's own promise serves.
      invoke (request) {
        try {
          watcher.used(sessionId)
        } catch (e) {
          return Promise.reject(e)
        }
        return inner.invoke(request)
      },
      close () {
        closing ??= (async () => {
          const clean = opened && !closedByItself
          closeAsked = true
          await watcher.stopped(sessionId)
          await inner.close()
          if (clean && !closedByItself) await watcher.closedCleanly(sessionId, directory)
        })()
        return closing
      },
    }
  })
}
