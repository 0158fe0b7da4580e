import { building } from '$app/environment';
import { error, redirect, type Handle, type HandleServerError, type ServerInit } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import * as runtime from '$lib/server/runtime';
import * as demo from '$lib/server/demo/seed';
import { log } from '$lib/server/log';
import { startWorker } from '$lib/server/jobs/runner';
import { SAMPLING_JOB } from '$lib/server/sampling/jobs';
import { runSamplingJob } from '$lib/server/sampling/worker';
import { PUBLISH_JOB } from '$lib/server/datasets/versions';
import { publishJobHandler } from '$lib/server/datasets/job';
import { CHAIN_JOB } from '$lib/server/training/chain-key';
import { chainJobHandler } from '$lib/server/training/chain';
import { ANNOUNCE_JOB, announceJobHandler } from '$lib/server/training/notify';
import { ensureScheduler, qualityJobHandlers } from '$lib/server/quality/jobs';
import { WATCH_JOB } from '$lib/server/evaluation/watch-key';
import { watchJobHandler } from '$lib/server/evaluation/watch';
import { pipelineTexts } from '$lib/server/kubeflow/pipelines';
import { accessFor } from '$lib/server/auth/policy';
import { ARENA_REFUSAL, mayUseArena } from '$lib/server/auth/guard';
import { sendSecurityHeaders } from '$lib/server/security-headers';
import { limitRequest } from '$lib/server/body-limits';
import { refuseUnreadableForms } from '$lib/server/forms';
import {
	SESSION_COOKIE,
	deleteSessionTokenCookie,
	setSessionTokenCookie,
	validateSessionToken
} from '$lib/server/auth/session';

export const init: ServerInit = async () => {
	if (building) return;
	sendSecurityHeaders();
	await runtime.start();
	await demo.prepareOnStart(runtime.db(), runtime.config());
	const adapterLimit = runtime.config().adapterBodySizeLimit;
	if (runtime.config().production && adapterLimit !== 'Infinity')
		log.warn(
			{ BODY_SIZE_LIMIT: adapterLimit },
			'adapter-node refuses every request body over BODY_SIZE_LIMIT, streamed imports included: start with BODY_SIZE_LIMIT=Infinity (JSON_BODY_LIMIT and FORM_BODY_LIMIT still apply)'
		);
	const handlers = {
		[SAMPLING_JOB]: runSamplingJob,
		[PUBLISH_JOB]: publishJobHandler(runtime.objectStore),
		[CHAIN_JOB]: chainJobHandler(() => ({ store: runtime.objectStore(), training: runtime.config().training, kfp: runtime.kfpClient(), pipelines: pipelineTexts })),
		[ANNOUNCE_JOB]: announceJobHandler(() => ({ store: runtime.objectStore(), token: runtime.webhookToken(), url: runtime.config().storageWebhook.url }))
	};
	const worker = runtime.config().jobsWorker ? startWorker(runtime.db(), handlers) : undefined;
	// Quality refreshes and evaluation watches get a worker of their own: a sampling job holds the main one
	// for as long as it runs, and snapshots must stay within QUALITY_REFRESH_SECONDS meanwhile (and a round's
	// watch must look while its own sampling job runs).
	if (runtime.config().jobsWorker) await ensureScheduler(runtime.db());
	const qualityWorker = runtime.config().jobsWorker
		? startWorker(runtime.db(), {
				...qualityJobHandlers(() => ({ refreshSeconds: runtime.config().qualityRefreshSeconds })),
				[WATCH_JOB]: watchJobHandler()
			})
		: undefined;
	// adapter-node emits this after it stopped accepting and drained in-flight requests.
	process.once('sveltekit:shutdown' as never, async (reason: string) => {
		log.info({ reason }, 'requests drained, closing the database');
		// A job in progress is handed back to the queue; the next start (or another instance) continues it.
		await Promise.all([worker?.stop(), qualityWorker?.stop()]);
		await runtime.stop();
		log.info('stopped');
	});
};

const REQUEST_ID = /^[\w.:-]{1,100}$/;

/** Gives every request an id (kept from a trusted proxy's header) and logs one line when it ends. */
const requestLog: Handle = async ({ event, resolve }) => {
	const incoming = event.request.headers.get('x-request-id');
	event.locals.requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
	event.locals.log = log.child({ requestId: event.locals.requestId });
	const started = performance.now();
	const line = (status: number) =>
		event.locals.log.info(
			{
				method: event.request.method,
				// a token in the path (invite links) is a credential: log the route, not the token
				path: event.route.id?.includes('[token]') ? event.route.id : event.url.pathname,
				route: event.route.id,
				status,
				ms: Math.round(performance.now() - started),
				userId: event.locals.user?.id
			},
			'request'
		);
	let response: Response;
	try {
		response = await resolve(event);
	} catch (thrown) {
		// redirect() and error() thrown by a handle below still get their log line
		const status = (thrown as { status?: number }).status ?? 500;
		line(status);
		throw thrown;
	}
	response.headers.set('x-request-id', event.locals.requestId);
	line(response.status);
	return response;
};

/**
 * The app's body limits (JSON_BODY_LIMIT, FORM_BODY_LIMIT; none for streamed imports): a handler
 * reading a body over its limit fails with a 413, which goes out once the rest of that body has
 * been read and dropped (so the client, still sending, can hear it).
 */
const bodyLimit: Handle = async ({ event, resolve }) => {
	const limited = limitRequest(event.request, event.route.id, runtime.config().bodyLimits);
	event.request = limited.request;
	const response = await resolve(event);
	await limited.settled();
	return response;
};

const authenticate: Handle = async ({ event, resolve }) => {
	const token = event.cookies.get(SESSION_COOKIE);
	const secure = event.url.protocol === 'https:';
	event.locals.user = null;
	event.locals.session = null;
	if (token) {
		const { session, user } = await validateSessionToken(runtime.db(), token, runtime.config().sessionDays);
		if (session) {
			setSessionTokenCookie(event.cookies, token, session.expiresAt, secure);
			event.locals.user = user;
			event.locals.session = session;
		} else {
			deleteSessionTokenCookie(event.cookies, secure);
		}
	}
	return resolve(event);
};

/** Default deny: a path no rule opens needs a signed-in user; routes still guard themselves. */
const authorize: Handle = async ({ event, resolve }) => {
	const access = accessFor(event.url.pathname);
	const user = event.locals.user;
	if (access.kind === 'public') return resolve(event);
	if (!user) {
		if (event.url.pathname.startsWith('/api/')) error(401, 'Sign in first.');
		redirect(303, `/login?redirectTo=${encodeURIComponent(event.url.pathname + event.url.search)}`);
	}
	if (access.kind === 'roles' && !access.roles.includes(user.role))
		error(403, `This needs the ${access.roles.join(' or ')} role.`);
	if (access.kind === 'arena' && !mayUseArena(user)) error(403, ARENA_REFUSAL);
	return resolve(event);
};

export const handle = sequence(requestLog, bodyLimit, authenticate, authorize, refuseUnreadableForms);

export const handleError: HandleServerError = ({ error: err, event, status, message }) => {
	if (status >= 500) event.locals.log?.error({ err, path: event.url.pathname }, 'unhandled error');
	return { message, requestId: event.locals.requestId };
};
