/** A small structured log: one JSON line per event on stderr (no token or key is ever passed to it). */
export type Level = 'info' | 'warn' | 'error'
export type Log = (level: Level, msg: string, fields?: Record<string, unknown>) => void

export const stderrLog: Log = (level, msg, fields = {}) => {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n')
}

export const silentLog: Log = () => {}
