// Kept in the emitted .d.ts, so a project that installs the client finds TDLib's types (tdlib-types) unconfigured.
/// <reference types="@prebuilt-tdlib/types" preserve="true" />
/**
 * TDLib's own types (from @prebuilt-tdlib/types, the TDLib version the broker
 * ships) in the broker's wire form: `@type` where tdl writes `_`. A request's
 * type gives its answer's type.
 */
import type * as Td from 'tdlib-types'

export type { Td }

/** T with every `_` key renamed `@type`, at any depth. */
export type Wire<T> =
  T extends ReadonlyArray<infer U> ? ReadonlyArray<Wire<U>>
    : T extends object ? { -readonly [K in keyof T as K extends '_' ? '@type' : K]: Wire<T[K]> }
      : T

/** Every TDLib request name. */
export type RequestName = Td.$FunctionName

/** The request object for `N`, as the broker takes it. */
export type Request<N extends RequestName> = { '@type': N } & Wire<Omit<Td.$FunctionInputByName[N], '_'>>

/** TDLib's answer to a request `N`. */
export type Result<N extends RequestName> = Wire<Td.$FunctionResultByName[N]>

/** Any TDLib update, in wire form, plus the broker's `@session` and `@seq`. */
export type Update = Wire<Td.Update> & { '@session': string, '@seq'?: number }
