import dns, { type LookupAddress, type LookupOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';

/*
 * Where model requests may go. The base URL is typed by an admin and the request
 * carries an API key, so a URL pointing at a cloud metadata service (the
 * instance's credentials) or another link-local address is refused, unless the
 * operator lists that host in MODEL_ALLOWED_HOSTS. Loopback and private ranges
 * stay open: that is where Ollama, vLLM and KServe run.
 *
 * The check happens at connect time, on the address the socket is about to use,
 * so a name that resolves elsewhere later (DNS rebinding) is caught too.
 */

const REFUSED = new BlockList();
REFUSED.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local; AWS, GCP, Azure and OCI metadata at .169.254
REFUSED.addSubnet('fe80::', 10, 'ipv6'); // link-local
REFUSED.addAddress('fd00:ec2::254', 'ipv6'); // AWS metadata over IPv6
REFUSED.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata

export const REFUSED_RANGES = '169.254.0.0/16, fe80::/10, fd00:ec2::254, 100.100.100.200';

/** More than any chat completion needs; a server streaming without end is cut off here. */
const MAX_REPLY_BYTES = 64 * 1024 * 1024;

/** Exceptions an operator made: host names, addresses and CIDR ranges from MODEL_ALLOWED_HOSTS. */
export type EgressPolicy = { hosts: ReadonlySet<string>; addresses: BlockList };

export const DEFAULT_EGRESS: EgressPolicy = { hosts: new Set(), addresses: new BlockList() };

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i;

/** MODEL_ALLOWED_HOSTS: `metadata.internal, 169.254.10.5, fe80::/64`; throws naming the entry it cannot read. */
export function parseAllowedHosts(text: string | undefined): EgressPolicy {
	const hosts = new Set<string>();
	const addresses = new BlockList();
	for (const entry of (text ?? '').split(',').map((e) => e.trim().toLowerCase()).filter(Boolean)) {
		const [address, bits, extra] = entry.split('/');
		const family = isIP(address!);
		const prefix = Number(bits);
		if (family && bits === undefined) addresses.addAddress(address!, family === 4 ? 'ipv4' : 'ipv6');
		else if (family && extra === undefined && Number.isInteger(prefix) && prefix >= 0 && prefix <= (family === 4 ? 32 : 128))
			addresses.addSubnet(address!, prefix, family === 4 ? 'ipv4' : 'ipv6');
		else if (bits === undefined && HOST_NAME.test(entry)) hosts.add(entry.replace(/\.$/, ''));
		else throw new Error(`"${entry}" is not a host name, an IP address or a CIDR range (e.g. 169.254.10.0/24)`);
	}
	return { hosts, addresses };
}

/** Refused because of where it points, not because the server failed: asking again cannot help. */
export class EgressRefusedError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'EgressRefusedError';
	}
}

function refusal(host: string, address: string): EgressRefusedError {
	const via = host === address ? address : `${host} (${address})`;
	return new EgressRefusedError(
		`${via} is a link-local or cloud-metadata address (${REFUSED_RANGES}): model requests never go there unless MODEL_ALLOWED_HOSTS lists it.`
	);
}

function familyOf(address: string): 'ipv4' | 'ipv6' {
	return isIP(address) === 6 ? 'ipv6' : 'ipv4';
}

/** Null when `address` may be contacted for `host`, else the error to fail with. */
export function checkAddress(host: string, address: string, policy: EgressPolicy): EgressRefusedError | null {
	if (policy.hosts.has(host.toLowerCase().replace(/\.$/, ''))) return null;
	const family = familyOf(address);
	if (!REFUSED.check(address, family) || policy.addresses.check(address, family)) return null;
	return refusal(host, address);
}

/** A `lookup` for sockets that refuses addresses the policy does not allow, whatever the name resolved to. */
function guardedLookup(policy: EgressPolicy): typeof dns.lookup {
	return ((hostname: string, options: LookupOptions, callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void) => {
		dns.lookup(hostname, { ...options, all: true }, (error, found) => {
			if (error) return callback(error, []);
			const refused = found.map((a) => checkAddress(hostname, a.address, policy)).find(Boolean);
			if (refused) return callback(refused, []);
			if (options.all) return callback(null, found);
			callback(null, found[0]!.address, found[0]!.family);
		});
	}) as typeof dns.lookup;
}

/**
 * The little of `fetch` the model client uses, over node:http with a guarded
 * lookup (global fetch has no hook between resolving and connecting). Redirects
 * are never followed: the answer comes back as it is.
 */
export function guardedFetch(policy: EgressPolicy = DEFAULT_EGRESS): typeof fetch {
	return (async (input: string | URL | Request, init: RequestInit = {}) => {
		const url = new URL(String(input));
		const host = url.hostname.replace(/^\[|\]$/g, '');
		// A literal address is connected to without a lookup, so it is checked here.
		if (isIP(host)) {
			const refused = checkAddress(host, host, policy);
			if (refused) throw refused;
		}
		const client = url.protocol === 'https:' ? https : http;
		const headers = Object.fromEntries(new Headers(init.headers).entries());
		return new Promise<Response>((resolve, reject) => {
			const request = client.request(url, { method: init.method ?? 'GET', headers, lookup: guardedLookup(policy), signal: init.signal ?? undefined }, (reply) => {
				const chunks: Buffer[] = [];
				let bytes = 0;
				reply.on('data', (chunk: Buffer) => {
					chunks.push(chunk);
					if ((bytes += chunk.length) > MAX_REPLY_BYTES) request.destroy(new Error(`answered more than ${MAX_REPLY_BYTES / 1024 / 1024} MiB`));
				});
				reply.on('error', reject);
				reply.on('end', () => {
					const status = reply.statusCode ?? 0;
					if (status < 200 || status > 599) return reject(new Error(`answered with HTTP status ${status}`));
					const answered = new Headers();
					for (const [name, value] of Object.entries(reply.headers))
						for (const one of [value ?? []].flat()) answered.append(name, one);
					const empty = status === 204 || status === 205 || status === 304;
					resolve(new Response(empty ? null : Buffer.concat(chunks), { status, statusText: reply.statusMessage, headers: answered }));
				});
			});
			request.on('error', reject);
			request.end(typeof init.body === 'string' ? init.body : undefined);
		});
	}) as typeof fetch;
}
