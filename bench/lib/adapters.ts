/**
 * The oidc-gate adapters as the HTTP benchmark mounts them. Each framework package is used when it exports
 * `oidcGate`; while an adapter is not written yet (its package exports nothing), a minimal inline shim
 * calling `gate.authenticate()` stands in and the variant is labelled so.
 */
import { type Gate, GateError } from '@oidc-gate/core'

type Fn = (...args: never[]) => unknown

export interface Loaded<T> {
  readonly middleware: T
  /** `true` when the real adapter package was used. */
  readonly real: boolean
}

async function loadExport(pkg: string): Promise<Fn | undefined> {
  const mod = (await import(pkg)) as Record<string, unknown>
  const candidate = mod.oidcGate ?? mod.default
  return typeof candidate === 'function' ? (candidate as Fn) : undefined
}

function body(error: GateError): string {
  return JSON.stringify({ error: error.error ?? 'unauthorized', error_description: error.message })
}

// Minimal structural types of the framework objects the shims touch.
interface NodeReq {
  method?: string
  url?: string
  headers: Record<string, string | string[] | undefined>
  rawHeaders: string[]
}

export async function expressGate(gate: Gate): Promise<Loaded<Fn>> {
  const real = await loadExport('@oidc-gate/express')
  if (real !== undefined) return { middleware: real(gate as never) as Fn, real: true }
  const shim = (
    req: NodeReq & { auth?: unknown },
    res: {
      status(s: number): { set(h: Record<string, string>): { type(t: string): { send(b: string): void } } }
    },
    next: (e?: unknown) => void,
  ) => {
    gate
      .authenticate({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
      })
      .then(
        (auth) => {
          req.auth = auth
          next()
        },
        (error: unknown) => {
          if (!(error instanceof GateError)) return next(error)
          res.status(error.status).set(error.headers).type('application/json').send(body(error))
        },
      )
  }
  return { middleware: shim as unknown as Fn, real: false }
}

export async function koaGate(gate: Gate): Promise<Loaded<Fn>> {
  const real = await loadExport('@oidc-gate/koa')
  if (real !== undefined) return { middleware: real(gate as never) as Fn, real: true }
  const shim = async (
    ctx: {
      req: NodeReq
      state: Record<string, unknown>
      status: number
      body: unknown
      type: string
      set(h: Record<string, string>): void
    },
    next: () => Promise<void>,
  ) => {
    const { req } = ctx
    try {
      ctx.state.auth = await gate.authenticate({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
      })
    } catch (error) {
      if (!(error instanceof GateError)) throw error
      ctx.status = error.status
      ctx.set(error.headers)
      ctx.type = 'application/json'
      ctx.body = body(error)
      return
    }
    await next()
  }
  return { middleware: shim as unknown as Fn, real: false }
}

export async function honoGate(gate: Gate): Promise<Loaded<Fn>> {
  const real = await loadExport('@oidc-gate/hono')
  if (real !== undefined) return { middleware: real(gate as never) as Fn, real: true }
  const shim = async (
    c: { req: { raw: Request; method: string; url: string }; set(k: string, v: unknown): void },
    next: () => Promise<void>,
  ) => {
    try {
      c.set(
        'auth',
        await gate.authenticate({ method: c.req.method, url: c.req.url, headers: c.req.raw.headers }),
      )
    } catch (error) {
      if (!(error instanceof GateError)) throw error
      return new Response(body(error), {
        status: error.status,
        headers: { ...error.headers, 'content-type': 'application/json' },
      })
    }
    await next()
  }
  return { middleware: shim as unknown as Fn, real: false }
}

interface FastifyLike {
  register(plugin: Fn, options?: unknown): PromiseLike<unknown>
  addHook(name: string, hook: Fn): unknown
  decorateRequest(name: string, value: unknown): unknown
}

/**
 * Fastify: the real plugin is registered as `app.register(oidcGate(gate))`; the shim is an `onRequest` hook.
 * Register routes after this resolves.
 */
export async function fastifyGate(app: FastifyLike, gate: Gate): Promise<boolean> {
  const real = await loadExport('@oidc-gate/fastify')
  if (real !== undefined) {
    // `oidcGate(gate)` returns the plugin (a fastify-plugin, so it covers the root context).
    await app.register(real(gate as never) as Fn)
    return true
  }
  app.decorateRequest('auth', null)
  const hook = async (
    request: { raw: NodeReq; auth: unknown },
    reply: {
      code(s: number): {
        headers(h: Record<string, string>): { type(t: string): { send(b: string): unknown } }
      }
    },
  ) => {
    const { raw } = request
    try {
      request.auth = await gate.authenticate({
        method: raw.method ?? 'GET',
        url: raw.url ?? '/',
        headers: raw.headers,
        rawHeaders: raw.rawHeaders,
      })
    } catch (error) {
      if (!(error instanceof GateError)) throw error
      return reply.code(error.status).headers(error.headers).type('application/json').send(body(error))
    }
  }
  app.addHook('onRequest', hook as unknown as Fn)
  return false
}

/** Whether `@oidc-gate/<framework>` exports its adapter yet (else the shim is used). */
export async function adapterAvailable(framework: string): Promise<boolean> {
  return (await loadExport(`@oidc-gate/${framework}`)) !== undefined
}
