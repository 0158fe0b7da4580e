import { setMaxListeners } from 'node:events';
import { sql } from 'drizzle-orm';
import { rowsOf, type Db, type Tx } from '../db';
import { candidate, type ChatMessage } from '../db/schema';
import type { JobContext, JobOutcome } from '../jobs/runner';
import { cancelRequested } from '../jobs/queue';
import { endpointOf, getModel } from '../models/registry';
import { makePairs } from './pairs';
import { samplingSpecSchema, type SamplingSpec } from './spec';
import { sampleReplies, type Endpoint, type GenerationParams, type Reply } from './openai';

/**
 * Runs a sampling job: at most `concurrency` requests in flight. A lane claims the open items
 * of one prompt (SKIP LOCKED: no two lanes or instances ask for the same
 * reply), asks the model for them (one request per model and temperature, so
 * a server that honours `n` answers several seeds at once), stores the
 * replies, and pairs the prompt's replies once none is in flight. Items
 * already done are never asked for again, so a resumed or restarted job
 * continues where it stopped.
 */

type Item = {
	id: string;
	prompt_id: string;
	slot: string;
	model_version_id: string;
	params: GenerationParams;
	messages: ChatMessage[] | string;
	system_prompt: string;
	persona_id: string;
	default_overlap: number;
};

/** One statement: the next prompt with open items, all of them, with what the request needs. */
async function claimPrompt(db: Db, jobId: string, lockSeconds: number): Promise<Item[]> {
	const claimable = sql`(s.status = 'queued' or (s.status = 'running' and s.locked_until < now()))`;
	const items = rowsOf<Item>(
		await db.execute(sql`
			with first as (
				select s.prompt_id from sampling_item s where s.job_id = ${jobId} and ${claimable}
				order by s.prompt_id, s.slot limit 1 for update skip locked
			), mine as (
				select s.id from sampling_item s join first on first.prompt_id = s.prompt_id
				where s.job_id = ${jobId} and ${claimable}
				for update of s skip locked
			)
			update sampling_item set status = 'running', attempts = sampling_item.attempts + 1,
				locked_until = now() + make_interval(secs => ${lockSeconds}), updated_at = now()
			from mine, prompt p, persona pe
			where sampling_item.id = mine.id and p.id = sampling_item.prompt_id and pe.id = p.persona_id
			returning sampling_item.id, sampling_item.prompt_id, sampling_item.slot, sampling_item.model_version_id,
				sampling_item.params, p.messages, pe.system_prompt, pe.id as persona_id, pe.default_overlap`)
	);
	return items.sort((a, b) => a.slot.localeCompare(b.slot));
}

/**
 * Items that share a model and temperature go in one request (with n). A request with n
 * samples seeds them base, base + 1, …, so seeded items share one only while their seeds
 * run on without a gap: two lanes can split one prompt's items between them (SKIP LOCKED),
 * and a lane holding seeds s and s + 2 must ask twice, or it would get s + 1's reply again.
 */
export function requestsOf<T extends Pick<Item, 'model_version_id' | 'params'>>(items: T[]): T[][] {
	const groups = new Map<string, T[]>();
	for (const item of items) {
		const key = `${item.model_version_id}|${item.params.temperature ?? ''}`;
		groups.set(key, [...(groups.get(key) ?? []), item]);
	}
	return [...groups.values()].flatMap(consecutiveSeeds);
}

function consecutiveSeeds<T extends Pick<Item, 'params'>>(group: T[]): T[][] {
	const seedOf = (item: T): number | undefined => (typeof item.params.seed === 'number' ? item.params.seed : undefined);
	if (group.some((item) => seedOf(item) === undefined)) return [group];
	const sorted = [...group].sort((a, b) => seedOf(a)! - seedOf(b)!);
	const runs: T[][] = [];
	for (const item of sorted) {
		const run = runs.at(-1);
		if (run && seedOf(item) === seedOf(run.at(-1)!)! + 1) run.push(item);
		else runs.push([item]);
	}
	return runs;
}

/** Stores replies and, when the prompt has nothing else in flight, pairs all its replies from this job. */
async function store(db: Db, jobId: string, spec: SamplingSpec, done: Array<{ item: Item; reply: Reply }>, failed: Array<{ item: Item; error: string }>): Promise<void> {
	const first = (done[0] ?? failed[0])!.item;
	await db.transaction(async (tx) => {
		// Locked in id order: a lane that took over a dead worker's items of this prompt waits here, no deadlock.
		const siblings = rowsOf<{ id: string; status: string; slot: string; candidate_id: string | null }>(
			await tx.execute(sql`
				select id, status, slot, candidate_id from sampling_item
				where job_id = ${jobId} and prompt_id = ${first.prompt_id} order by id for update`)
		);
		const stored = done.length
			? await tx
					.insert(candidate)
					.values(
						done.map(({ item, reply }) => ({
							promptId: item.prompt_id,
							modelVersionId: item.model_version_id,
							text: reply.text,
							params: { ...reply.params, slot: item.slot, responseId: reply.responseId },
							finishReason: reply.finishReason,
							promptTokens: reply.promptTokens,
							completionTokens: reply.completionTokens,
							latencyMs: Math.round(reply.latencyMs),
							source: 'sampled' as const
						}))
					)
					.returning({ id: candidate.id, text: candidate.text })
			: [];
		const outcome = [
			...done.map(({ item }, i) => ({ id: item.id, status: 'done', candidate: stored[i]!.id, error: null as string | null })),
			...failed.map(({ item, error }) => ({ id: item.id, status: 'failed', candidate: null as string | null, error }))
		];
		await tx.execute(sql`
			update sampling_item set status = o.status, candidate_id = o.candidate::uuid, last_error = o.error, updated_at = now()
			from jsonb_to_recordset(${JSON.stringify(outcome)}::jsonb) as o(id uuid, status text, candidate text, error text)
			where sampling_item.id = o.id`);
		const mine = new Set(outcome.map((o) => o.id));
		if (siblings.some((s) => !mine.has(s.id) && (s.status === 'queued' || s.status === 'running'))) return;
		const texts = rowsOf<{ id: string; text: string }>(
			await tx.execute(sql`
				select c.id, c.text from sampling_item si join candidate c on c.id = si.candidate_id
				where si.job_id = ${jobId} and si.prompt_id = ${first.prompt_id} and si.status = 'done' order by si.slot`)
		);
		// A closed round makes no new pairs (a reply in flight when it closed is kept, unpaired).
		if (spec.evaluation && (await roundClosed(tx, spec.evaluation.roundId))) return;
		const paired = await makePairs(tx, {
			promptId: first.prompt_id,
			personaId: first.persona_id,
			overlap: spec.evaluation?.overlap ?? first.default_overlap,
			priority: spec.priority,
			candidates: texts,
			evaluationRoundId: spec.evaluation?.roundId
		});
		if (paired.created || paired.nearIdentical)
			await tx.execute(sql`
				update job set progress = progress || jsonb_build_object(
					'pairs', coalesce((progress->>'pairs')::int, 0) + ${paired.created}::int,
					'nearIdentical', coalesce((progress->>'nearIdentical')::int, 0) + ${paired.nearIdentical}::int)
				where id = ${jobId}`);
	});
}

async function roundClosed(tx: Tx, roundId: string): Promise<boolean> {
	const [round] = rowsOf<{ closed: boolean }>(await tx.execute(sql`select closed_at is not null as closed from evaluation_round where id = ${roundId}`));
	return round?.closed ?? true;
}

/** Cancel requests, read at most twice a second however many lanes ask. */
function cancelWatch(db: Db, jobId: string): () => Promise<boolean> {
	let checked = 0;
	let cancelled = false;
	return async () => {
		if (!cancelled && Date.now() - checked > 500) {
			checked = Date.now();
			cancelled = await cancelRequested(db, jobId);
		}
		return cancelled;
	};
}

/** At most `permits` requests in flight, however many lanes are busy with the database meanwhile. */
function limiter(permits: number): <T>(work: () => Promise<T>) => Promise<T> {
	let free = permits;
	const waiting: Array<() => void> = [];
	return async (work) => {
		if (free > 0) free--;
		else await new Promise<void>((resolve) => waiting.push(resolve));
		try {
			return await work();
		} finally {
			const next = waiting.shift();
			if (next) next();
			else free++;
		}
	};
}

type Lane = { spec: SamplingSpec; endpoints: Map<string, Endpoint>; cancelled: () => Promise<boolean>; inFlight: ReturnType<typeof limiter> };

async function lane(context: JobContext, { spec, endpoints, cancelled, inFlight }: Lane): Promise<void> {
	const { db, job, signal } = context;
	while (!signal.aborted && !(await cancelled())) {
		const items = await claimPrompt(db, job.id, spec.timeoutSeconds * (spec.maxRetries + 1) * 4 + 60);
		if (items.length === 0) return;
		const done: Array<{ item: Item; reply: Reply }> = [];
		const failed: Array<{ item: Item; error: string }> = [];
		for (const group of requestsOf(items)) {
			try {
				const modelId = group[0]!.model_version_id;
				let endpoint = endpoints.get(modelId);
				if (!endpoint) endpoints.set(modelId, (endpoint = endpointOf(await getModel(db, modelId))));
				const head = group[0]!;
				const history = typeof head.messages === 'string' ? (JSON.parse(head.messages) as ChatMessage[]) : head.messages;
				const messages: ChatMessage[] = [{ role: 'system', content: head.system_prompt }, ...history];
				// A cancel that came while this lane waited for its turn: send nothing, give the items back.
				const replies = await inFlight(async () =>
					(await cancelled())
						? null
						: sampleReplies(endpoint!, messages, head.params, group.length, { timeoutMs: spec.timeoutSeconds * 1000, maxRetries: spec.maxRetries, signal })
				);
				if (!replies) break;
				group.forEach((item, i) => done.push({ item, reply: replies[i]! }));
			} catch (error) {
				// Stopped (cancel, shutdown): not the items' fault; they go back to the queue below.
				if (signal.aborted) break;
				for (const item of group) failed.push({ item, error: error instanceof Error ? error.message : String(error) });
			}
		}
		if (done.length || failed.length) await store(db, job.id, spec, done, failed);
		const unanswered = items.filter((item) => !done.some((d) => d.item === item) && !failed.some((f) => f.item === item));
		if (unanswered.length)
			await db.execute(sql`
				update sampling_item set status = 'queued', attempts = greatest(attempts - 1, 0), updated_at = now()
				where id in (${sql.join(unanswered.map((i) => sql`${i.id}::uuid`), sql`, `)})`);
	}
}

export async function runSamplingJob(context: JobContext): Promise<JobOutcome> {
	const spec = samplingSpecSchema.parse(context.job.payload);
	// every in-flight request listens on the job's signal
	setMaxListeners(spec.concurrency * 4 + 10, context.signal);
	const shared: Lane = { spec, endpoints: new Map(), cancelled: cancelWatch(context.db, context.job.id), inFlight: limiter(spec.concurrency) };
	// Twice as many lanes as requests allowed in flight: while some lanes store replies and claim the
	// next prompt, the others keep the server busy.
	await Promise.all(Array.from({ length: spec.concurrency * 2 }, () => lane(context, shared)));
	const [left] = rowsOf<{ open: number; failed: number; total: number }>(
		await context.db.execute(sql`
			select count(*) filter (where status in ('queued', 'running'))::int as open,
				count(*) filter (where status = 'failed')::int as failed, count(*)::int as total
			from sampling_item where job_id = ${context.job.id}`)
	);
	if (context.signal.aborted || (left?.open ?? 0) > 0) return { status: 'cancelled' };
	if (left && left.failed === left.total) return { status: 'failed', error: 'Every request failed; see the errors on the job page.' };
	return { status: 'succeeded', error: left && left.failed > 0 ? `${left.failed} of ${left.total} replies failed.` : null };
}
