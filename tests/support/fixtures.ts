import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../src/lib/server/db';
import { hashPassword } from '../../src/lib/server/auth/password';
import type { Role } from '../../src/lib/server/db/schema';

/**
 * Bulk fixtures made in SQL (generate_series), so 500 pairs take milliseconds
 * and a million take under a minute. Each pair gets its own prompt and two
 * candidates; `created_at` rises with the index so "oldest first" is defined.
 */
export async function createPersonaWithPairs(
	db: Db,
	options: {
		pairs: number;
		overlap: number;
		slug?: string;
		priorityEvery?: number;
		/** Prompt i gets domains[i mod n] (default: all 'chat'). */
		domains?: readonly string[];
		/** Replies of min + (i mod spread) extra words (default: none), so reading times vary. */
		replyWords?: { min: number; spread: number };
	}
): Promise<{ personaId: string }> {
	const domains = options.domains ?? ['chat'];
	const words = options.replyWords ?? { min: 0, spread: 1 };
	const slug = options.slug ?? `queue-${crypto.randomUUID().slice(0, 8)}`;
	const [persona] = rowsOf<{ id: string }>(
		await db.execute(sql`
			insert into persona (slug, name, style_guide, system_prompt, default_overlap)
			values (${slug}, ${slug}, 'Sound like Lynn.', 'You are Lynn.', ${options.overlap})
			returning id`)
	);
	const personaId = persona!.id;
	const [model] = rowsOf<{ id: string }>(
		await db.execute(sql`
			insert into model_version (persona_id, name, kind, status) values (${personaId}, 'fixture-pool', 'demo_pool', 'current')
			returning id`)
	);
	const batch = 100_000;
	for (let from = 1; from <= options.pairs; from += batch) {
		const to = Math.min(options.pairs, from + batch - 1);
		await db.execute(sql`
			with prompts as (
				insert into prompt (persona_id, messages, domain, source, content_hash, created_at)
				select ${personaId}, jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'Question ' || i)),
					(${JSON.stringify(domains)}::jsonb ->> (i % ${domains.length}::int)), 'fixture', md5(${slug} || i),
					timestamptz '2026-01-01' + make_interval(secs => i)
				from generate_series(${from}::int, ${to}::int) i
				returning id, created_at
			), candidates as (
				insert into candidate (prompt_id, model_version_id, text, source)
				select p.id, ${model!.id}, side || ': ' || repeat('more ', ${words.min}::int + (hashtext(p.id::text || side) & 65535) % ${words.spread}::int)
					|| 'an answer to ' || p.id, 'demo'
				from prompts p cross join (values ('A'), ('B')) s(side)
				returning id, prompt_id, text
			)
			insert into pair (prompt_id, persona_id, candidate_a_id, candidate_b_id, overlap, priority, created_at)
			select p.id, ${personaId}, a.id, b.id, ${options.overlap},
				case when ${options.priorityEvery ?? 0}::int > 0
					and extract(epoch from p.created_at - timestamptz '2026-01-01')::int % ${options.priorityEvery ?? 1}::int = 0
					then 1 else 0 end,
				p.created_at
			from prompts p
			join candidates a on a.prompt_id = p.id and a.text like 'A:%'
			join candidates b on b.prompt_id = p.id and b.text like 'B:%'`);
	}
	return { personaId };
}

let sharedHash: Promise<string> | undefined;

/** Accounts that all share one (real) password hash, so making fifty costs one argon2 run. */
export async function createUsers(
	db: Db,
	count: number,
	options: { role?: Role; prefix?: string; password?: string } = {}
): Promise<Array<{ id: string; email: string }>> {
	const password = options.password ?? 'fixture-password';
	sharedHash ??= hashPassword(password);
	const hash = options.password ? await hashPassword(password) : await sharedHash;
	const prefix = options.prefix ?? `user-${crypto.randomUUID().slice(0, 6)}`;
	return rowsOf<{ id: string; email: string }>(
		await db.execute(sql`
			insert into "user" (email, display_name, role, password_hash)
			select ${prefix} || '-' || i || '@example.com', ${prefix} || ' ' || i, ${options.role ?? 'annotator'}, ${hash}
			from generate_series(1, ${count}::int) i
			returning id, email`)
	);
}

/** A persona with `prompts` one-turn prompts (no candidates), and an endpoint model made current. */
export async function createPersonaWithPrompts(
	db: Db,
	options: { prompts: number; baseUrl: string; model?: string; overlap?: number; domain?: string }
): Promise<{ personaId: string; slug: string; modelId: string }> {
	const slug = `sampling-${crypto.randomUUID().slice(0, 8)}`;
	const [persona] = rowsOf<{ id: string }>(
		await db.execute(sql`
			insert into persona (slug, name, style_guide, system_prompt, default_overlap)
			values (${slug}, ${slug}, 'Sound like Lynn.', 'You are codeLynn. Be casual and honest.', ${options.overlap ?? 3})
			returning id`)
	);
	await db.execute(sql`
		insert into prompt (persona_id, messages, domain, source, content_hash)
		select ${persona!.id}, jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'Tell me about topic ' || i)),
			${options.domain ?? 'chat'}, 'fixture', md5(${slug} || i)
		from generate_series(1, ${options.prompts}::int) i`);
	const [model] = rowsOf<{ id: string }>(
		await db.execute(sql`
			insert into model_version (persona_id, name, kind, base_url, model, status)
			values (${persona!.id}, 'policy-v7', 'endpoint', ${options.baseUrl}, ${options.model ?? 'policy-v7'}, 'current')
			returning id`)
	);
	return { personaId: persona!.id, slug, modelId: model!.id };
}
