import postgres from 'postgres';

/**
 * The floor for the ranking loop: the same lease-and-insert work as one HTTP
 * submit+next (hand out a pair with SKIP LOCKED, record the judgment, turn
 * the lease into a vote), sent straight from postgres.js in one transaction
 * per step, with no HTTP, sessions, rendering or ORM in between.
 */
export async function baseline(
	url: string,
	personaId: string,
	annotatorIds: string[],
	seconds: number
): Promise<{ requests: number; seconds: number; p50: number; p95: number; p99: number; max: number; perSecond: number; errors: number }> {
	const sql = postgres(url, { max: annotatorIds.length, onnotice: () => {} });
	const latencies: number[] = [];
	let errors = 0;
	const until = Date.now() + seconds * 1000;
	const started = performance.now();
	await Promise.all(
		annotatorIds.map(async (annotatorId) => {
			while (Date.now() < until) {
				const t0 = performance.now();
				try {
					const done = await sql.begin(async (tx) => {
						const [leased] = await tx`
							with picked as (
								select p.id from pair p
								where p.persona_id = ${personaId} and p.judgment_count + p.lease_count < p.overlap
									and not exists (select 1 from judgment j where j.pair_id = p.id and j.annotator_id = ${annotatorId})
									and not exists (select 1 from lease l where l.pair_id = p.id and l.annotator_id = ${annotatorId})
									and not exists (select 1 from pair_skip s where s.pair_id = p.id and s.annotator_id = ${annotatorId})
								order by p.priority desc nulls last, p.created_at, p.id limit 1 for update of p skip locked
							), taken as (
								update pair set lease_count = pair.lease_count + 1 from picked where pair.id = picked.id
								returning pair.id, pair.candidate_a_id
							)
							insert into lease (pair_id, annotator_id, left_candidate_id, expires_at)
							select id, ${annotatorId}, candidate_a_id, now() + interval '20 minutes' from taken
							returning pair_id, left_candidate_id`;
						if (!leased) return false;
						await tx`
							insert into judgment (client_id, pair_id, annotator_id, choice, strength, left_candidate_id)
							values (${crypto.randomUUID()}, ${leased.pair_id}, ${annotatorId}, 'a', 2, ${leased.left_candidate_id})`;
						await tx`
							with gone as (delete from lease where pair_id = ${leased.pair_id} and annotator_id = ${annotatorId} returning pair_id)
							update pair set lease_count = pair.lease_count - 1, judgment_count = pair.judgment_count + 1
							from gone where pair.id = gone.pair_id`;
						return true;
					});
					if (!done) return;
					latencies.push(performance.now() - t0);
				} catch {
					errors++;
				}
			}
		})
	);
	const elapsed = (performance.now() - started) / 1000;
	await sql.end();
	const sorted = latencies.sort((a, b) => a - b);
	const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
	return { requests: sorted.length, seconds: elapsed, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1) ?? NaN, perSecond: sorted.length / elapsed, errors };
}
