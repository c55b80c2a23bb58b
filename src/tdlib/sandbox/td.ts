/// <reference types="@prebuilt-tdlib/types" />
/**
 * TDLib's JSON API as TypeScript types, derived from the declarations tdl
 * generates (@prebuilt-tdlib/types, a dev dependency used for types only).
 * Those use `_` for the type name; the JSON API and our seam use `@type`, so
 * `Td<T>` renames it at every level. Every object the sandbox builds is typed
 * with these, so `tsc` checks it against TDLib 1.8.65.
 */
import type * as Tl from 'tdlib-types'
import type { TdError, TdObject } from '../backend.js'

export type { Tl }

/** An output object of TDLib's JSON API (what TDLib sends). */
export type Td<T> = T extends { readonly _: string }
  ? { [K in keyof T as K extends '_' ? '@type' : K]: K extends '_' ? T[K] : Td<T[K]> }
  : T extends ReadonlyArray<infer E> ? Array<Td<E>> : T

/** An input object of TDLib's JSON API (what a client sends): every field optional. */
export type TdIn<T> = T extends { readonly _: string }
  ? { readonly [K in keyof T as K extends '_' ? '@type' : K]: K extends '_' ? T[K] : TdIn<T[K]> }
  : T extends ReadonlyArray<infer E> ? ReadonlyArray<TdIn<E>> : T

export type Method = keyof Tl.$FunctionInputByName
export type Req<M extends Method> = TdIn<Tl.$FunctionInputByName[M]>
export type Res<M extends Method> = Td<Tl.$FunctionResultByName[M]>
export type Update = Td<Tl.Update>

/** Thrown inside the sandbox to answer a request with a TDLib error. */
export class TdFailure extends Error {
  readonly code: number
  constructor (code: number, message: string) {
    super(message)
    this.code = code
  }

  toTd (): TdError {
    return { '@type': 'error', code: this.code, message: this.message }
  }
}

/** Throws a TDLib error: `fail(400, 'PHONE_CODE_INVALID')`. */
export function fail (code: number, message: string): never {
  throw new TdFailure(code, message)
}

/** TDLib's error object. */
export function tdError (code: number, message: string): TdError {
  return { '@type': 'error', code, message }
}

/** TDLib's `ok`, a fresh object each time (the caller may add fields to an answer). */
export function ok (): Td<Tl.ok> {
  return { '@type': 'ok' }
}

/** Widens a typed TDLib object to the seam's TdObject. */
export function asTd (value: { '@type': string }): TdObject {
  return value as TdObject
}

/*
 * Inputs come off the wire unchecked. TDLib's own JSON reader is lenient with
 * numbers given as strings (int64 is sent as a string) and treats a missing
 * field as its zero value; these do the same.
 */

export function int (value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value)
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value)
  return 0
}

export function str (value: unknown): string {
  return typeof value === 'string' ? value : ''
}

/** An optional field: TDLib reads null as "not given" (e.g. getChats' chat_list: null is the main list). */
export function given<T> (value: T | null | undefined): T | undefined {
  return value === null ? undefined : value
}

export function bool (value: unknown): boolean {
  return value === true
}

/** The `@type` of an unchecked value, or '' when it has none. */
export function typeOf (value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    const type = (value as Record<string, unknown>)['@type']
    if (typeof type === 'string') return type
  }
  return ''
}
