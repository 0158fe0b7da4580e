/** What the import benchmarks share: the prompt file they import, and scratch PostgreSQL databases. */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import postgres from 'postgres';

export const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const domains = ['chat', 'coding', 'maths', 'german', 'latin'];

export const mib = (bytes: number): number => Math.round(bytes / 1024 / 1024);

/** Prompts a few hundred bytes long, some as conversations, with ids, domains and tags. */
export async function writePromptFile(file: string, lines: number): Promise<void> {
	const out = createWriteStream(file);
	for (let i = 0; i < lines; i++) {
		const text = `Question ${i}: explain, in the voice of a patient tutor, why ${i} is ${i % 2 ? 'odd' : 'even'} and what follows from it. `.repeat(2);
		const row =
			i % 5 === 0
				? { id: `b${i}`, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: text }], domain: domains[i % 5], tags: ['bench'] }
				: { id: `b${i}`, prompt: text, domain: domains[i % 5], tags: ['bench', `t${i % 7}`] };
		if (!out.write(`${JSON.stringify(row)}\n`)) await once(out, 'drain');
	}
	out.end();
	await once(out, 'finish');
}

/** Whether the PostgreSQL server answers and may create databases; says why not when it does not. */
export async function postgresReachable(): Promise<boolean> {
	const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 3 });
	try {
		await admin`select 1`;
		return true;
	} catch (error) {
		console.log(`PostgreSQL at ${adminUrl} not used: ${(error as Error).message}`);
		return false;
	} finally {
		await admin.end();
	}
}

/** A fresh database per run, so every run inserts the whole file; dropped by `drop`. */
export async function scratchPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
	const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
	const name = `codelynn_bench_import_${Date.now()}`;
	await admin.unsafe(`create database "${name}"`);
	const url = new URL(adminUrl);
	url.pathname = `/${name}`;
	return {
		url: url.toString(),
		async drop() {
			await admin.unsafe(`drop database if exists "${name}" with (force)`);
			await admin.end();
		}
	};
}
