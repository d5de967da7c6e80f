// `node bench/run.mjs [flags]`: the runner without `--import tsx` on the command line (registers tsx, then
// loads bench/run.ts). Same flags as run.ts.
import { register } from 'tsx/esm/api'

register()
await import('./run.ts')
