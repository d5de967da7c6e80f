export type { Command } from './command.js'
export { CommandError, UsageError } from './errors.js'
export type { Input, Io, Output } from './io.js'
export { run } from './run.js'
