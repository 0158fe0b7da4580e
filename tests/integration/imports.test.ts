import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { isHttpError } from '@sveltejs/kit';
import { and, asc, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as runtime from '$lib/server/runtime';
import * as accounts from '$lib/server/users/accounts';
import * as promptImport from '$lib/server/imports/prompts';
import * as candidateImport from '$lib/server/imports/candidates';
import * as prompts from '$lib/server/prompts/list';
import { migrateDatabase, openDatabase } from '$lib/server/db';
import { auditEvent, candidate, modelVersion, pair, persona, prompt, type Role } from '$lib/server/db/schema';
import { findPersona, type PersonaSummary } from '$lib/server/personas/find';
import { actions, load } from '../../src/routes/admin/prompts/+page.server';
import { createScratchFolder, createTestDatabase, testDatabaseKind, type TestDatabase } from '../support/database';
import { requestEvent, thrownBy } from '../support/request-event';
import * as sessionHelpers from '../support/sessions';

let database: TestDatabase;

beforeAll(async () => {
	database = await createTestDatabase();
	runtime.useDatabase(database);
});

afterAll(async () => {
	await runtime.stop();
});

/** A persona of its own per spec, so counts never depend on another spec; with two model versions. */
async function newPersona(overlap = 3): Promise<PersonaSummary> {
	const slug = `imp-${crypto.randomUUID().slice(0, 8)}`;
	const [created] = await database.db
		.insert(persona)
		.values({ slug, name: slug, styleGuide: 'Sound like Lynn.', systemPrompt: 'You are Lynn.', defaultOverlap: overlap })
		.returning({ id: persona.id });
	await database.db.insert(modelVersion).values(
		['lynn-v1', 'lynn-v2'].map((name) => ({ personaId: created!.id, name, baseUrl: 'http://vllm.test/v1', model: name }))
	);
	return findPersona(database.db, slug);
}

const jsonl = (rows: unknown[]) => rows.map((row) => (typeof row === 'string' ? row : JSON.stringify(row))).join('\n') + '\n';
/** As a file arrives: bytes, in chunks that split lines (and characters) anywhere. */
const streamOf = (text: string, chunk = 7) => {
	const bytes = Buffer.from(text);
	return Readable.from((function* () {
		for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
	})());
};

const importPrompts = (target: PersonaSummary, text: string, format: 'jsonl' | 'csv' = 'jsonl') =>
	promptImport.importPrompts(database.db, { persona: target, format, source: streamOf(text) }, { id: null });
const importCandidates = (target: PersonaSummary, text: string) =>
	candidateImport.importCandidates(database.db, { persona: target, source: streamOf(text) }, { id: null });

async function promptsOf(target: PersonaSummary) {
	return database.db
		.select({ id: prompt.id, messages: prompt.messages, domain: prompt.domain, tags: prompt.tags, externalId: prompt.externalId, source: prompt.source })
		.from(prompt)
		.where(eq(prompt.personaId, target.id))
		.orderBy(asc(prompt.externalId));
}

const countOf = async (table: typeof prompt | typeof candidate | typeof pair, personaId: string) => {
	if (table === candidate) {
		const [row] = await database.db.select({ n: count() }).from(candidate).innerJoin(prompt, eq(prompt.id, candidate.promptId)).where(eq(prompt.personaId, personaId));
		return row!.n;
	}
	const [row] = await database.db.select({ n: count() }).from(table).where(eq(table === pair ? pair.personaId : prompt.personaId, personaId));
	return row!.n;
};

describe('prompt import', () => {
	it('imports JSONL prompts and conversations with their domains, tags and ids', async () => {
		const lynn = await newPersona();
		const result = await importPrompts(
			lynn,
			jsonl([
				{ id: 'p1', prompt: 'What is a monad?', domain: 'coding', tags: ['haskell', 'fp', 'haskell'] },
				{ id: 2, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }, { role: 'user', content: 'Decline "amo".' }], domain: 'latin' },
				'',
				{ prompt: 'Wie spät ist es?', id: null, tags: null }
			])
		);
		expect(result).toEqual({ lines: 3, imported: 3, duplicates: 0, errors: [], moreErrors: 0 });
		const rows = await promptsOf(lynn);
		expect(rows.map((r) => [r.externalId, r.domain, r.tags, r.source])).toEqual([
			['2', 'latin', [], 'import'],
			['p1', 'coding', ['haskell', 'fp'], 'import'],
			[null, 'chat', [], 'import']
		]);
		expect(rows[0]!.messages).toHaveLength(4);
		expect(rows[2]!.messages).toEqual([{ role: 'user', content: 'Wie spät ist es?' }]);
		const [event] = await database.db.select().from(auditEvent).where(and(eq(auditEvent.action, 'prompts.import'), eq(auditEvent.targetId, lynn.id)));
		expect(event?.details).toMatchObject({ persona: lynn.slug, format: 'jsonl', imported: 3 });
	});

	it('imports CSV whose quoted fields hold commas, quotes and newlines', async () => {
		const lynn = await newPersona();
		const csv = [
			'\uFEFFID,Prompt,Domain,Tags,messages',
			'c1,"Write a haiku, please,\nabout ""autumn""",poetry,"short; seasonal ;",',
			'c2,,coding,,"[{""role"":""user"",""content"":""Fix my loop""}]"',
			'',
			'c3,Plain one,,,'
		].join('\r\n');
		const result = await importPrompts(lynn, csv, 'csv');
		expect(result).toEqual({ lines: 3, imported: 3, duplicates: 0, errors: [], moreErrors: 0 });
		const rows = await promptsOf(lynn);
		expect(rows.map((r) => [r.externalId, r.messages, r.domain, r.tags])).toEqual([
			['c1', [{ role: 'user', content: 'Write a haiku, please,\nabout "autumn"' }], 'poetry', ['short', 'seasonal']],
			['c2', [{ role: 'user', content: 'Fix my loop' }], 'coding', []],
			['c3', [{ role: 'user', content: 'Plain one' }], 'chat', []]
		]);
	});

	it('refuses a file with bad lines whole, naming every bad line by its number', async () => {
		const lynn = await newPersona();
		await importPrompts(lynn, jsonl([{ id: 'taken', prompt: 'Already here' }]));
		const result = await importPrompts(
			lynn,
			jsonl([
				{ prompt: 'Fine' }, // 1
				'{"prompt": "unterminated', // 2
				{ domain: 'chat' }, // 3
				{ messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }] }, // 4
				{ prompt: 'Shouty domain', domain: 'Coding' }, // 5
				{ id: 'a', prompt: 'First with a' }, // 6
				{ id: 'a', prompt: 'Second with a' }, // 7
				'', // 8
				{ id: 'taken', prompt: 'Not the one that has it' }, // 9
				{ messages: [{ role: 'robot', content: '' }] } // 10
			])
		);
		expect(result.imported).toBe(0);
		expect(result.errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 7, 9, 10]);
		const byLine = Object.fromEntries(result.errors.map((e) => [e.line, e.message]));
		expect(byLine[2]).toMatch(/not valid JSON/);
		expect(byLine[3]).toMatch(/missing "prompt"/);
		expect(byLine[4]).toMatch(/must end with a user turn/);
		expect(byLine[5]).toMatch(/^domain: domain must be lower-case/);
		expect(byLine[7]).toMatch(/id "a" is already used on line 6/);
		expect(byLine[9]).toMatch(`id "taken" already belongs to a different prompt in persona "${lynn.slug}"`);
		expect(byLine[10]).toMatch(/messages\[0\]\.role: .*messages\[0\]\.content: content is empty/);
		expect(await countOf(prompt, lynn.id)).toBe(1);
	});

	it('finds an id reused across batches, where only the database remembers the first', async () => {
		const lynn = await newPersona();
		const rows = Array.from({ length: 600 }, (_, i) => ({ id: `q${i}`, prompt: `Question ${i}` }));
		rows[550] = { id: 'q3', prompt: 'Someone else' };
		const result = await importPrompts(lynn, jsonl(rows));
		expect(result.errors).toEqual([{ line: 551, message: 'id "q3" is already used earlier in this file by a different prompt' }]);
		expect(await countOf(prompt, lynn.id)).toBe(0);
	});

	it('skips conversations already in the file or in the persona, and counts them', async () => {
		const lynn = await newPersona();
		await importPrompts(lynn, jsonl([{ prompt: 'Old one', id: 'old' }]));
		const result = await importPrompts(
			lynn,
			jsonl([
				{ prompt: 'New one' },
				{ prompt: '  New one  ' }, // the same conversation: surrounding whitespace is ignored
				{ messages: [{ role: 'user', content: 'New one' }], id: 'n1' },
				{ prompt: 'Old one' },
				{ prompt: 'Old one', id: 'old' },
				{ prompt: 'Another new one' }
			])
		);
		expect(result).toEqual({ lines: 6, imported: 2, duplicates: 4, errors: [], moreErrors: 0 });
		expect(await countOf(prompt, lynn.id)).toBe(3);
		expect(await importPrompts(lynn, jsonl([{ prompt: 'New one' }, { prompt: 'Another new one' }]))).toMatchObject({ imported: 0, duplicates: 2 });
	});

	it('lists at most 200 bad lines and counts the rest', async () => {
		const lynn = await newPersona();
		const result = await importPrompts(lynn, jsonl(Array.from({ length: 250 }, () => ({ prompt: '' }))));
		expect(result.errors).toHaveLength(200);
		expect(result.errors[0]).toEqual({ line: 1, message: 'prompt: prompt is empty' });
		expect(result.errors.at(-1)!.line).toBe(200);
		expect(result.moreErrors).toBe(50);
	});

	it('refuses a CSV without a prompt column, rows of the wrong width, and a stray quote', async () => {
		const lynn = await newPersona();
		expect((await importPrompts(lynn, 'text,domain\nhello,chat\n', 'csv')).errors).toEqual([
			{ line: 1, message: 'the header row needs a "prompt" or a "messages" column (it has: text, domain)' }
		]);
		const result = await importPrompts(lynn, 'prompt,domain\nfine,chat\ntoo,many,fields\n"ok\nstill ok",chat\nbroken "quote,chat\nfine too,chat\n', 'csv');
		expect(result.errors.map((e) => e.line)).toEqual([3, 6]);
		expect(result.errors[0]!.message).toBe('3 fields, but the header has 2');
		expect(result.errors[1]!.message).toMatch(/^CSV syntax: .*the lines after it were not read$/);
		expect(await countOf(prompt, lynn.id)).toBe(0);
	});

	it('streams a 20,000-line file in, 500 rows at a time', async () => {
		const lynn = await newPersona();
		const lines = (function* () {
			for (let i = 0; i < 20_000; i++) yield `${JSON.stringify({ id: `s${i}`, prompt: `Streamed question number ${i}?`, domain: i % 2 ? 'maths' : 'chat', tags: ['bulk'] })}\n`;
		})();
		const started = performance.now();
		const result = await promptImport.importPrompts(database.db, { persona: lynn, format: 'jsonl', source: Readable.from(lines) }, { id: null });
		expect(result).toEqual({ lines: 20_000, imported: 20_000, duplicates: 0, errors: [], moreErrors: 0 });
		expect(await countOf(prompt, lynn.id)).toBe(20_000);
		expect(performance.now() - started).toBeLessThan(20_000);
	});
});

describe('candidate import', () => {
	async function withPrompts(overlap = 2) {
		const lynn = await newPersona(overlap);
		await importPrompts(lynn, jsonl([{ id: 'ext-1', prompt: 'First question' }, { id: 'ext-2', prompt: 'Second question' }, { prompt: 'Third question' }]));
		const rows = await promptsOf(lynn);
		const byText = Object.fromEntries(rows.map((r) => [r.messages.at(-1)!.content, r.id]));
		return { lynn, byText };
	}

	const reply = (n: number) => `Reply number ${n}: ${['apples', 'rivers', 'engines', 'lanterns', 'forests', 'violins'][n % 6]} are ${n} times nicer than you think.`;

	it('finds prompts by uuid, by the id they were imported with, and by their text, and pairs the new replies in file order', async () => {
		const { lynn, byText } = await withPrompts();
		const result = await importCandidates(
			lynn,
			jsonl([
				{ prompt_id: byText['First question'], model: 'lynn-v1', completion: reply(1), params: { temperature: 0.7, seed: 1, finish_reason: 'stop' } },
				{ prompt_id: 'ext-1', model: 'lynn-v2', completion: reply(2) },
				{ prompt_id: 'ext-2', model: 'lynn-v1', completion: reply(3) },
				{ prompt: 'Third question', model: 'lynn-v1', completion: reply(4) },
				{ messages: [{ role: 'user', content: 'Third question' }], model: 'lynn-v2', completion: reply(5) },
				{ prompt_id: byText['First question']!.toUpperCase(), model: 'lynn-v1', completion: reply(6), params: { top_p: 0.9, max_tokens: 256 } }
			])
		);
		expect(result).toEqual({ lines: 6, imported: 6, duplicates: 0, pairs: 2, nearIdentical: 0, errors: [], moreErrors: 0 });
		const stored = await database.db
			.select({ text: candidate.text, params: candidate.params, finishReason: candidate.finishReason, source: candidate.source })
			.from(candidate)
			.where(eq(candidate.text, reply(1)));
		expect(stored).toEqual([{ text: reply(1), params: { temperature: 0.7, seed: 1 }, finishReason: 'stop', source: 'imported' }]);
		const pairs = await database.db
			.select({ promptId: pair.promptId, overlap: pair.overlap, a: candidate.text })
			.from(pair)
			.innerJoin(candidate, eq(candidate.id, pair.candidateAId))
			.where(eq(pair.personaId, lynn.id));
		// First question got three replies (1, 2, 6): the first two make a pair, the third waits for a partner.
		expect(pairs.map((p) => [p.promptId, p.a, p.overlap]).sort()).toEqual(
			[[byText['First question'], reply(1), 2], [byText['Third question'], reply(4), 2]].sort()
		);
	});

	it('names unknown models and unknown prompts as bad lines and imports nothing', async () => {
		const { lynn } = await withPrompts();
		const other = await newPersona();
		await importPrompts(other, jsonl([{ id: 'elsewhere', prompt: 'Only in the other persona' }]));
		const result = await importCandidates(
			lynn,
			jsonl([
				{ prompt_id: 'ext-1', model: 'lynn-v1', completion: 'fine' },
				{ prompt_id: 'ext-1', model: 'gpt-9', completion: 'unknown model' },
				{ prompt_id: 'nope', model: 'lynn-v1', completion: 'unknown prompt' },
				{ prompt: 'Never imported', model: 'lynn-v1', completion: 'unknown text' },
				{ prompt_id: 'elsewhere', model: 'lynn-v1', completion: 'another persona' },
				{ prompt_id: crypto.randomUUID(), model: 'lynn-v1', completion: 'unknown uuid' },
				{ prompt_id: 'ext-2', prompt: 'Second question', model: 'lynn-v1', completion: 'two prompts' },
				{ prompt_id: 'ext-2', model: 'lynn-v1', completion: '   ' },
				{ prompt_id: 'ext-2', model: 'lynn-v1', completion: 'bad params', params: { temperature: 'hot' } }
			])
		);
		expect(result.errors).toEqual([
			{ line: 2, message: `no model version "gpt-9" in persona "${lynn.slug}" (it has: "lynn-v1", "lynn-v2")` },
			{ line: 3, message: `no such prompt in persona "${lynn.slug}" (prompt_id "nope")` },
			{ line: 4, message: `no such prompt in persona "${lynn.slug}" (no prompt has this conversation)` },
			{ line: 5, message: `no such prompt in persona "${lynn.slug}" (prompt_id "elsewhere")` },
			{ line: 6, message: expect.stringMatching(/^no such prompt in persona .* \(prompt_id "[0-9a-f-]{36}"\)$/) },
			{ line: 7, message: 'give exactly one of "prompt_id", "prompt" or "messages"' },
			{ line: 8, message: 'completion: completion is empty' },
			{ line: 9, message: 'params.temperature: temperature must be a number' }
		]);
		expect(result).toMatchObject({ imported: 0, pairs: 0 });
		expect(await countOf(candidate, lynn.id)).toBe(0);
	});

	it('drops pairs of near-identical replies and counts them', async () => {
		const { lynn } = await withPrompts();
		const result = await importCandidates(
			lynn,
			jsonl([
				{ prompt_id: 'ext-1', model: 'lynn-v1', completion: 'Hello there, how are you today?' },
				{ prompt_id: 'ext-1', model: 'lynn-v2', completion: 'hello there how are you today' },
				{ prompt_id: 'ext-2', model: 'lynn-v1', completion: reply(1) },
				{ prompt_id: 'ext-2', model: 'lynn-v2', completion: reply(2) }
			])
		);
		expect(result).toMatchObject({ imported: 4, pairs: 1, nearIdentical: 1, errors: [] });
		expect(await countOf(pair, lynn.id)).toBe(1);
	});

	it('counts a second import of the same file as all duplicates, pairing nothing new', async () => {
		const { lynn } = await withPrompts();
		const file = jsonl([
			{ prompt_id: 'ext-1', model: 'lynn-v1', completion: reply(1) },
			{ prompt_id: 'ext-1', model: 'lynn-v2', completion: reply(2) },
			{ prompt_id: 'ext-1', model: 'lynn-v2', completion: reply(2) },
			{ prompt_id: 'ext-1', model: 'lynn-v1', completion: reply(2) } // same text, another model: not a duplicate
		]);
		expect(await importCandidates(lynn, file)).toMatchObject({ lines: 4, imported: 3, duplicates: 1, pairs: 1 });
		expect(await importCandidates(lynn, file)).toEqual({ lines: 4, imported: 0, duplicates: 4, pairs: 0, nearIdentical: 0, errors: [], moreErrors: 0 });
		expect(await countOf(candidate, lynn.id)).toBe(3);
		expect(await countOf(pair, lynn.id)).toBe(1);
	});
});

describe('listPrompts', () => {
	it('searches the last user turn, filters by domain, sorts and pages, with candidate and pair counts', async () => {
		const lynn = await newPersona();
		await importPrompts(
			lynn,
			jsonl([
				{ id: 'x1', messages: [{ role: 'user', content: 'needle in the first turn' }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'later turn' }], domain: 'maths' },
				{ id: 'x2', prompt: 'A NEEDLE here', domain: 'coding' },
				{ id: 'x3', prompt: 'a 100% literal_match', domain: 'chat' }
			])
		);
		await importCandidates(lynn, jsonl([{ prompt_id: 'x2', model: 'lynn-v1', completion: 'one way' }, { prompt_id: 'x2', model: 'lynn-v2', completion: 'quite another answer' }]));
		const query = (q: Record<string, string>) => prompts.listPrompts(database.db, lynn.id, prompts.promptQuerySchema.parse(q));

		const needle = await query({ q: 'needle' });
		expect(needle.rows.map((r) => [r.externalId, r.text, r.candidates, r.pairs])).toEqual([['x2', 'A NEEDLE here', 2, 1]]);
		expect((await query({ q: '100%' })).total).toBe(1);
		expect((await query({ q: 'l_t' })).total).toBe(0);
		expect((await query({ domain: 'maths' })).rows.map((r) => [r.externalId, r.turns])).toEqual([['x1', 3]]);
		expect((await query({ sort: 'domain', dir: 'asc' })).rows.map((r) => r.domain)).toEqual(['chat', 'coding', 'maths']);
		const paged = await query({ pageSize: '10', page: '2' });
		expect(paged).toEqual({ rows: [], total: 3 });
		expect(await prompts.listDomains(database.db, lynn.id)).toEqual(['chat', 'coding', 'maths']);
	});
});

describe('/admin/prompts', () => {
	const PASSWORD = 'correct horse battery';
	let admin: sessionHelpers.SignedIn;
	let annotator: sessionHelpers.SignedIn;

	async function member(role: Role): Promise<sessionHelpers.SignedIn> {
		const email = `${role}-${crypto.randomUUID().slice(0, 6)}@imports.test`;
		const created = await accounts.createUser(database.db, { email, displayName: role, role, password: PASSWORD }, { id: null });
		return sessionHelpers.signedIn(database.db, created.id);
	}

	beforeAll(async () => {
		admin = await member('admin');
		annotator = await member('annotator');
	});

	const upload = (slug: string, action: string, fields: Record<string, string | File>, as = admin) => {
		const form = new FormData();
		for (const [name, value] of Object.entries(fields)) form.set(name, value);
		return requestEvent(`/admin/prompts?/${action}&persona=${slug}`, { routeId: '/admin/prompts', user: as.user, session: as.session, form });
	};

	it('imports an uploaded file from a real multipart form, then lists it', async () => {
		const lynn = await newPersona();
		const file = new File([jsonl([{ id: 'u1', prompt: 'Uploaded one' }, { id: 'u2', prompt: 'Uploaded two', domain: 'coding' }])], 'p.jsonl');
		const answer = await actions.prompts!(upload(lynn.slug, 'prompts', { file }));
		expect(answer).toEqual({ promptImport: { lines: 2, imported: 2, duplicates: 0, errors: [], moreErrors: 0 } });
		const candidates = new File([jsonl([{ prompt_id: 'u1', model: 'lynn-v1', completion: 'one' }, { prompt_id: 'u1', model: 'lynn-v2', completion: 'two entirely different words' }])], 'c.jsonl');
		expect(await actions.candidates!(upload(lynn.slug, 'candidates', { file: candidates }))).toMatchObject({ candidateImport: { imported: 2, pairs: 1 } });
		const page = (await load(requestEvent(`/admin/prompts?persona=${lynn.slug}&sort=domain&dir=asc`, { routeId: '/admin/prompts', user: admin.user, session: admin.session }))) as Record<string, any>;
		expect(page.rows.map((r: prompts.PromptRow) => [r.externalId, r.candidates, r.pairs])).toEqual([['u1', 2, 1], ['u2', 0, 0]]);
		expect(page).toMatchObject({ total: 2, domains: ['chat', 'coding'], persona: { slug: lynn.slug } });
	});

	it('answers a form without a file, an empty file or an unknown format with field errors', async () => {
		const lynn = await newPersona();
		expect(await actions.prompts!(upload(lynn.slug, 'prompts', {}))).toMatchObject({ status: 400, data: { errors: { file: 'Choose a file to upload.' } } });
		expect(await actions.candidates!(upload(lynn.slug, 'candidates', {}))).toMatchObject({ status: 400, data: { errors: { file: 'Choose a file to upload.' } } });
		expect(await actions.prompts!(upload(lynn.slug, 'prompts', { file: new File([], 'p.jsonl') }))).toMatchObject({ status: 400, data: { errors: { file: 'The file is empty.' } } });
		expect(await actions.prompts!(upload(lynn.slug, 'prompts', { file: new File(['x'], 'p.txt') }))).toMatchObject({ status: 400, data: { errors: { format: expect.stringContaining('choose its format') } } });
		expect(await actions.prompts!(upload(lynn.slug, 'prompts', { file: new File(['prompt\nhi\n'], 'p.txt'), format: 'csv' }))).toEqual({
			promptImport: expect.objectContaining({ imported: 1 })
		});
		expect(await actions.prompts!(upload(lynn.slug, 'prompts', { file: new File(['x'], 'p.csv'), format: 'xml' }))).toMatchObject({ status: 400, data: { errors: { format: expect.any(String) } } });
	});

	it('refuses a file with bad lines and shows every one with its number', async () => {
		const lynn = await newPersona();
		const file = new File([jsonl([{ prompt: 'good' }, 'nonsense', { prompt: 'x', domain: '9lives' }])], 'p.jsonl');
		const answer = await actions.prompts!(upload(lynn.slug, 'prompts', { file }));
		expect(answer).toMatchObject({
			status: 400,
			data: { errors: { file: 'Nothing was imported: 2 bad lines. Fix them and upload the file again.' }, promptImport: { errors: [{ line: 2 }, { line: 3 }] } }
		});
		expect(await countOf(prompt, lynn.id)).toBe(0);
	});

	it('is for admins only', async () => {
		const lynn = await newPersona();
		const file = new File([jsonl([{ prompt: 'sneaky' }])], 'p.jsonl');
		const refused = await thrownBy(() => actions.prompts!(upload(lynn.slug, 'prompts', { file }, annotator)));
		expect(isHttpError(refused) && refused.status).toBe(403);
		expect(isHttpError(await thrownBy(() => load(requestEvent('/admin/prompts', { routeId: '/admin/prompts', user: annotator.user, session: annotator.session }))))).toBe(true);
		expect(await countOf(prompt, lynn.id)).toBe(0);
	});
});

// The CLI opens its own embedded database, whatever this project's database is: once is enough.
describe.skipIf(testDatabaseKind() === 'postgres')('npm run import', () => {
	function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
		return new Promise((resolve, reject) => {
			const child = spawn('npx', ['tsx', 'scripts/import.ts', ...args], { env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'silent', ...env } });
			let stdout = '';
			let stderr = '';
			child.stdout.on('data', (chunk) => (stdout += chunk));
			child.stderr.on('data', (chunk) => (stderr += chunk));
			child.on('error', reject);
			child.on('close', (code) => resolve({ code, stdout, stderr }));
		});
	}

	it('imports a file into the embedded database and exits 1, listing line numbers, when it refuses one', async () => {
		const folder = createScratchFolder();
		try {
			const target = { kind: 'pglite', dir: path.join(folder.dir, 'db') } as const;
			const setup = await openDatabase(target);
			await migrateDatabase(setup, target, path.resolve('drizzle'));
			await setup.db.insert(persona).values({ slug: 'cli', name: 'CLI', styleGuide: '.', systemPrompt: '.' });
			await setup.close();
			const good = path.join(folder.dir, 'prompts.jsonl');
			writeFileSync(good, jsonl([{ prompt: 'one' }, { prompt: 'two' }, { prompt: 'one' }]));
			const bad = path.join(folder.dir, 'bad.jsonl');
			writeFileSync(bad, jsonl([{ prompt: 'three' }, '{oops', { prompt: 'four', domain: 'Bad' }]));
			const env = { PGLITE_DIR: target.dir };

			const imported = await run(['prompts', good, '--persona', 'cli'], env);
			expect(imported.stdout).toMatch(/Imported 2 prompts into persona "cli" from 3 lines in [\d.]+ s; 1 duplicates skipped\./);
			expect(imported.code).toBe(0);

			const refused = await run(['prompts', bad], env);
			expect(refused.code).toBe(1);
			expect(refused.stderr).toMatch(/Refused: 2 bad lines/);
			expect(refused.stderr).toMatch(/line 2: not valid JSON/);
			expect(refused.stderr).toMatch(/line 3: domain: /);

			const wrong = await run(['prompts', good, '--format', 'xml'], env);
			expect(wrong.code).toBe(2);
			expect(wrong.stderr).toMatch(/--format: "xml" is not one of jsonl, csv/);

			const check = await openDatabase(target);
			const stored = await check.db.select({ n: count() }).from(prompt);
			await check.close();
			expect(stored[0]!.n).toBe(2);
		} finally {
			folder.remove();
		}
	}, 60_000);
});
