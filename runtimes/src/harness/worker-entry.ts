/** Module worker for workerd: the shared Fetch handler. */

import { handle } from './fetch-entry.js'

export default { fetch: handle }
