import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, eq } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createUsers } from '../support/fixtures';
import { requestEvent, thrownBy } from '../support/request-event';
import * as runtime from '../../src/lib/server/runtime';
import * as demo from '../../src/lib/server/demo/seed';
import { prompt } from '../../src/lib/server/db/schema';
import { findPersona } from '../../src/lib/server/personas/find';
import type { SessionUser } from '../../src/lib/server/auth/session';
import { POST } from '../../src/routes/api/v1/imports/[kind]/+server';

let database: TestDatabase;
let admin: SessionUser;

beforeAll(async () => {
	database = await createTestDatabase();
	runtime.useDatabase(database);
	await demo.seedDemoWorkspace(database.db);
	const [a] = await createUsers(database.db, 1, { role: 'admin' });
	admin = { id: a!.id, email: a!.email, displayName: 'Admin', role: 'admin' };
});
afterAll(async () => {
	await runtime.stop();
});

/** A body that arrives in chunks, as a large upload does: the endpoint never holds it whole. */
function streamOf(lines: string[], chunkLines = 250): ReadableStream<Uint8Array> {
	let next = 0;
	return new ReadableStream({
		pull(controller) {
			if (next >= lines.length) return controller.close();
			controller.enqueue(new TextEncoder().encode(lines.slice(next, next + chunkLines).join('\n') + '\n'));
			next += chunkLines;
		}
	});
}

function upload(kind: string, body: ReadableStream<Uint8Array>, query = 'persona=lynn&name=file.jsonl', user: SessionUser | null = admin) {
	const event = requestEvent(`/api/v1/imports/${kind}?${query}`, { method: 'POST', user, routeId: '/api/v1/imports/[kind]', params: { kind } });
	return { ...event, request: new Request(event.url, { method: 'POST', body, duplex: 'half' } as RequestInit) };
}

async function prompts(): Promise<number> {
	const lynn = await findPersona(database.db, 'lynn');
	const [row] = await database.db.select({ n: count() }).from(prompt).where(eq(prompt.personaId, lynn.id));
	return row!.n;
}

describe('POST /api/v1/imports/[kind]: a file as the request body', () => {
	it('streams 5,000 prompts in and counts them', async () => {
		const before = await prompts();
		const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ prompt: `Streamed question ${i}`, domain: 'chat' }));
		const response = await POST(upload('prompts', streamOf(lines)));
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({ lines: 5000, imported: 5000, duplicates: 0, errors: [] });
		expect(await prompts()).toBe(before + 5000);
	});

	it('refuses a file with a bad line whole, naming the line, and writes nothing', async () => {
		const before = await prompts();
		const lines = [JSON.stringify({ prompt: 'fine' }), '{not json', JSON.stringify({ prompt: 'also fine', domain: 'Bad Domain' })];
		const response = await POST(upload('prompts', streamOf(lines, 1)));
		expect(response.status).toBe(400);
		const body = (await response.json()) as { errors: Array<{ line: number }> };
		expect(body.errors.map((e) => e.line)).toEqual([2, 3]);
		expect(await prompts()).toBe(before);
	});

	it('is for admins only, and names what is wrong with the address', async () => {
		const [annotator] = await createUsers(database.db, 1);
		const refused = await thrownBy(() => POST(upload('prompts', streamOf(['{}']), undefined, { id: annotator!.id, email: annotator!.email, displayName: 'A', role: 'annotator' })));
		expect(refused).toMatchObject({ status: 403 });
		const unknown = await POST(upload('judgments', streamOf(['{}'])));
		expect(unknown.status).toBe(404);
		const noFormat = await POST(upload('prompts', streamOf(['{}']), 'persona=lynn&name=prompts.txt'));
		expect(noFormat.status).toBe(400);
		expect(((await noFormat.json()) as { message: string }).message).toMatch(/format=jsonl/);
	});
});
