/** Sequential round-trip latency: one call at a time, each timed with hrtime. */

/**
 * Sorted latencies in microseconds of `samples` sequential calls, after
 * `warmup` unmeasured ones; `measuring` runs between the two.
 */
export async function sequentialLatency (call: () => Promise<unknown>, warmup: number, samples: number, measuring?: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await call()
  await measuring?.()
  const lat = new Float64Array(samples)
  for (let i = 0; i < samples; i++) {
    const t = process.hrtime.bigint()
    await call()
    lat[i] = Number(process.hrtime.bigint() - t) / 1000
  }
  return Array.from(lat.sort())
}
