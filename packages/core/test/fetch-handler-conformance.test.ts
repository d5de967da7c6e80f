import { conformance, echo, listen } from '@oidc-gate/testing/conformance'
import * as core from '../src/index.js'
import { fetchListener } from './fetch-bridge.js'

conformance({
  name: 'protect() fetch handler behind a Node→Fetch bridge',
  core,
  // The bridge, like a Web-standard runtime's front end, refuses a malformed or repeated Host (400).
  hostCheckedByServer: true,
  fetchRequest: true,
  async start({ gate, optional, routePolicy }) {
    const claims = core.protect(gate, (_request, auth) => Response.json(echo(auth)), { optional })
    const policy = core.protect(gate, (_request, auth) => Response.json(echo(auth)), {
      optional,
      policy: routePolicy,
    })
    return listen(
      fetchListener((request) => (new URL(request.url).pathname === '/policy' ? policy : claims)(request)),
    )
  },
})
