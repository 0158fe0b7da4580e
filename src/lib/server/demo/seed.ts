import { and, count, eq, inArray } from 'drizzle-orm';
import type { Config } from '../config';
import type { Db, Tx } from '../db';
import { candidate, dataset, modelVersion, pair, persona, prompt, user, type Choice, type Role } from '../db/schema';
import { defaultSpec } from '../datasets/spec';
import { hashPassword, verifyPassword } from '../auth/password';
import { contentHash } from '../prompts/hash';
import { log } from '../log';
import { loadDemoContent, type DemoPrompt } from './content';

export const DEMO_PERSONA_SLUG = 'lynn';
/** The model version that owns the pre-written replies; shown as such wherever it appears. */
export const DEMO_POOL_NAME = 'demo-pool';

/** Fixed so the start banner can print them; they exist only in a demo workspace. */
export const demoAccounts: ReadonlyArray<{ role: Role; email: string; displayName: string; password: string }> = [
	{ role: 'admin', email: 'admin@example.com', displayName: 'Demo Admin', password: 'demo-admin-pass' },
	{ role: 'reviewer', email: 'reviewer@example.com', displayName: 'Demo Reviewer', password: 'demo-reviewer-pass' },
	{ role: 'annotator', email: 'annotator@example.com', displayName: 'Demo Annotator', password: 'demo-annotator-pass' }
];

export type DemoSummary = { prompts: number; candidates: number; pairs: number; accounts: number };

/**
 * Creates persona Lynn, the demo prompts with their pre-written replies under
 * model version "demo-pool", pairs to rank, and the demo accounts. One
 * transaction, and a second call finds everything in place and adds nothing.
 */
export async function seedDemoWorkspace(db: Db): Promise<DemoSummary> {
	const content = loadDemoContent();
	const hashes = await Promise.all(demoAccounts.map((a) => hashPassword(a.password)));
	return db.transaction(async (tx) => {
		const [lynn] = await tx
			.insert(persona)
			.values({
				slug: DEMO_PERSONA_SLUG,
				name: 'Lynn',
				styleGuide: content.styleGuide,
				systemPrompt: content.systemPrompt,
				defaultOverlap: 3
			})
			.onConflictDoUpdate({ target: persona.slug, set: { slug: DEMO_PERSONA_SLUG } })
			.returning({ id: persona.id, defaultOverlap: persona.defaultOverlap });
		if (!lynn) throw new Error('persona upsert returned no row');

		await tx
			.insert(modelVersion)
			.values({ personaId: lynn.id, name: DEMO_POOL_NAME, kind: 'demo_pool', status: 'current' })
			.onConflictDoNothing();
		const [pool] = await tx
			.select({ id: modelVersion.id })
			.from(modelVersion)
			.where(and(eq(modelVersion.personaId, lynn.id), eq(modelVersion.name, DEMO_POOL_NAME)));
		if (!pool) throw new Error('demo-pool model version missing');

		const summary: DemoSummary = { prompts: 0, candidates: 0, pairs: 0, accounts: 0 };
		for (const [index, demoPrompt] of content.prompts.entries()) {
			const added = await addDemoPrompt(tx, { personaId: lynn.id, poolId: pool.id, overlap: lynn.defaultOverlap }, demoPrompt, index);
			summary.prompts += added.prompts;
			summary.candidates += added.candidates;
			summary.pairs += added.pairs;
		}
		// A definition to publish from, so Admin → Datasets is not an empty room: everything, majority vote, 10 % test.
		await tx
			.insert(dataset)
			.values({
				personaId: lynn.id,
				slug: 'lynn-prefs',
				name: 'Lynn preferences',
				description: 'Which reply sounds more like Lynn, with approved gold edits, SFT examples and prompts for PPO.',
				spec: defaultSpec()
			})
			.onConflictDoNothing();
		const accounts = await tx
			.insert(user)
			.values(demoAccounts.map((a, i) => ({ email: a.email, displayName: a.displayName, role: a.role, passwordHash: hashes[i]! })))
			.onConflictDoNothing()
			.returning({ id: user.id });
		summary.accounts = accounts.length;
		return summary;
	});
}

type Target = { personaId: string; poolId: string; overlap: number };

async function addDemoPrompt(tx: Tx, target: Target, demoPrompt: DemoPrompt, index: number): Promise<DemoSummary> {
	const [row] = await tx
		.insert(prompt)
		.values({
			personaId: target.personaId,
			messages: demoPrompt.messages,
			domain: demoPrompt.domain,
			source: 'demo',
			contentHash: contentHash(demoPrompt.messages)
		})
		.onConflictDoNothing()
		.returning({ id: prompt.id });
	// Already seeded: leave the prompt and everything hanging off it as it is.
	if (!row) return { prompts: 0, candidates: 0, pairs: 0, accounts: 0 };

	const candidates = await tx
		.insert(candidate)
		.values(
			demoPrompt.candidates.map((c) => ({
				promptId: row.id,
				modelVersionId: target.poolId,
				text: c.text,
				source: 'demo' as const,
				params: { demoFit: c.fit }
			}))
		)
		.returning({ id: candidate.id });
	const strong = demoPrompt.candidates.flatMap((c, i) => (c.fit === 'strong' ? [{ ...c, id: candidates[i]!.id }] : []));
	const weaker = demoPrompt.candidates.flatMap((c, i) => (c.fit !== 'strong' ? [{ ...c, id: candidates[i]!.id }] : []));
	const pairs = strong.flatMap((s) =>
		weaker.map((w, j) => {
			// Alternate sides so the Lynn-like reply is not always candidate A.
			const strongFirst = (index + j) % 2 === 0;
			// Only the clear cases (Lynn vs. off-persona) serve as gold checks.
			const knownAnswer: Choice | null = w.fit === 'off' ? (strongFirst ? 'a' : 'b') : null;
			return {
				promptId: row.id,
				personaId: target.personaId,
				candidateAId: strongFirst ? s.id : w.id,
				candidateBId: strongFirst ? w.id : s.id,
				overlap: target.overlap,
				knownAnswer
			};
		})
	);
	if (pairs.length) await tx.insert(pair).values(pairs);
	return { prompts: 1, candidates: candidates.length, pairs: pairs.length, accounts: 0 };
}

export async function hasDemoWorkspace(db: Db): Promise<boolean> {
	const [row] = await db.select({ n: count() }).from(modelVersion).where(eq(modelVersion.name, DEMO_POOL_NAME));
	return (row?.n ?? 0) > 0;
}

/** Demo logins whose password is still the demo one (an admin may have changed them). */
export async function workingDemoLogins(db: Db): Promise<typeof demoAccounts> {
	const rows = await db
		.select({ email: user.email, passwordHash: user.passwordHash, disabledAt: user.disabledAt })
		.from(user)
		.where(inArray(user.email, demoAccounts.map((a) => a.email)));
	const working = await Promise.all(
		demoAccounts.map(async (account) => {
			const row = rows.find((r) => r.email === account.email);
			return row && !row.disabledAt && (await verifyPassword(row.passwordHash, account.password)) ? account : null;
		})
	);
	return working.filter((a) => a !== null);
}

/**
 * Start-up: `auto` seeds an empty embedded (PGlite) database, `on` seeds any
 * database (`npm start -- --demo`), `off` never. Then prints how to sign in.
 */
export async function prepareOnStart(db: Db, config: Config): Promise<void> {
	if (config.demoWorkspace === 'off') return;
	if (config.demoWorkspace === 'on' || (config.database.kind === 'pglite' && (await countUsers(db)) === 0)) {
		const summary = await seedDemoWorkspace(db);
		log.info({ ...summary }, 'demo workspace ready');
	}
	if (!(await hasDemoWorkspace(db))) return;
	const logins = await workingDemoLogins(db);
	const origin = process.env.ORIGIN ?? `http://localhost:${process.env.PORT ?? 3000}`;
	const lines = [
		'',
		'  codeLynn Studio — demo workspace (replies are pre-written examples, not sampled from a model)',
		`  Sign in at ${origin}/login with:`,
		...logins.map((a) => `    ${a.role.padEnd(10)} ${a.email.padEnd(24)} ${a.password}`),
		...(logins.length ? [] : ['    (the demo passwords have been changed; use your own accounts)']),
		''
	];
	process.stdout.write(lines.join('\n') + '\n');
}

async function countUsers(db: Db): Promise<number> {
	const [row] = await db.select({ n: count() }).from(user);
	return row?.n ?? 0;
}
