import { asc, desc, eq, sql } from 'drizzle-orm';
import * as runtime from '$lib/server/runtime';
import * as directory from '$lib/server/users/directory';
import * as invites from '$lib/server/users/invites';
import { requireRole } from '$lib/server/auth/guard';
import { rowsOf, type DbOrTx } from '$lib/server/db';
import { candidate, modelVersion, persona, prompt } from '$lib/server/db/schema';
import type { PageServerLoad } from './$types';

// The workspace counts and model list are read here until a catalog module
// owns personas and models; move them there when it exists.

async function countContent(db: DbOrTx): Promise<{ personas: number; prompts: number; candidates: number }> {
	const result = await db.execute(
		sql`select (select count(*) from ${persona}) as personas, (select count(*) from ${prompt}) as prompts, (select count(*) from ${candidate}) as candidates`
	);
	const [row] = rowsOf<Record<'personas' | 'prompts' | 'candidates', string | number>>(result);
	return { personas: Number(row?.personas ?? 0), prompts: Number(row?.prompts ?? 0), candidates: Number(row?.candidates ?? 0) };
}

function listModels(db: DbOrTx) {
	return db
		.select({
			id: modelVersion.id,
			name: modelVersion.name,
			kind: modelVersion.kind,
			status: modelVersion.status,
			model: modelVersion.model,
			persona: persona.name
		})
		.from(modelVersion)
		.innerJoin(persona, eq(persona.id, modelVersion.personaId))
		.orderBy(asc(persona.name), desc(modelVersion.createdAt));
}

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	const db = runtime.db();
	const [users, openInvites, content, models] = await Promise.all([
		directory.countUsers(db),
		invites.listOpenInvites(db),
		countContent(db),
		listModels(db)
	]);
	return { users, openInvites: openInvites.length, content, models };
};
