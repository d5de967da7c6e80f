/**
 * Which gate produced an `Auth`: a private field written on the object before it is frozen, so that
 * `gate.authorize()` can refuse an `auth` some other middleware put on the request (`req.auth` of
 * express-basic-auth, a copy, a hand-made object).
 *
 * A private field cannot be read, listed, copied by a spread or forged from outside this module, and
 * costs one property store per `Auth`. (A `WeakSet` of every `Auth` handed out did the same job, but the
 * garbage collector's work on a weak collection with one entry per verification cost more than the rest
 * of the JavaScript of an uncached verification.)
 */

/** A constructor that returns the object it is given, so a subclass can add its private field to it. */
class Target {
  constructor(target: object) {
    // biome-ignore lint/correctness/noConstructorReturn: returning the given object is the point
    return target
  }
}

class Stamp extends Target {
  readonly #producer: object

  constructor(target: object, producer: object) {
    super(target)
    this.#producer = producer
  }

  static producerOf(value: unknown): object | undefined {
    return typeof value === 'object' && value !== null && #producer in value
      ? (value as Stamp).#producer
      : undefined
  }
}

/**
 * Marks `auth` (not yet frozen) as produced by `producer`, the gate's identity; returns `auth`. An
 * `undefined` producer (a copy of an `Auth` that was never stamped) leaves `auth` unmarked.
 *
 * @example
 * ```ts
 * const auth = Object.freeze(stampAuth({ token, header, claims }, gateIdentity))
 * ```
 */
export function stampAuth<T extends object>(auth: T, producer: object | undefined): T {
  if (producer !== undefined) new Stamp(auth, producer)
  return auth
}

/**
 * The producer `auth` was stamped with by {@link stampAuth}, or `undefined` for any other value.
 *
 * @example
 * ```ts
 * if (producerOf(req.auth) !== gateIdentity) throw new Error('not ours')
 * ```
 */
export function producerOf(value: unknown): object | undefined {
  return Stamp.producerOf(value)
}
