import { subscribe } from 'node:diagnostics_channel';
import type { ServerResponse } from 'node:http';

/**
 * Sent with every response, beside the CSP SvelteKit adds to pages (svelte.config.js).
 * - nosniff: a browser runs or styles a file only as the type the server named, so an uploaded or
 *   echoed text can never be taken for a script.
 * - same-origin: pages carry invite tokens, persona and dataset names in their paths; another site
 *   (the KFP UI, a model server, a link in a rendered prompt) has no need to learn even our origin,
 *   and nothing here relies on a Referer from outside.
 */
export const SECURITY_HEADERS = {
	'x-content-type-options': 'nosniff',
	'referrer-policy': 'same-origin'
} as const;

function addSecurityHeaders({ response }: { response: ServerResponse }): void {
	for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
}

let sending = false;

/**
 * Puts the headers on every response this process's HTTP server starts, before any handler runs.
 * A SvelteKit handle would not do: adapter-node serves /_app/immutable/* and static/ through sirv,
 * refuses cross-site form posts and over-size bodies, and turns redirects and errors thrown in other
 * handles into responses, all without the handle's answer. Node's `http.server.request.start`
 * channel sees each of those; a handler that sets one of these headers itself still wins.
 */
export function sendSecurityHeaders(): void {
	if (sending) return;
	sending = true;
	subscribe('http.server.request.start', addSecurityHeaders as (message: unknown) => void);
}
