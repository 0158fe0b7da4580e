import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { like } from 'drizzle-orm';
import { createScratchFolder, testDatabaseKind } from '../support/database';
import { createPersonaWithPairs, createUsers } from '../support/fixtures';
import { addVotes } from '../support/judgments';
import { migrateDatabase, openDatabase, rowsOf } from '../../src/lib/server/db';
import { job, storageEvent } from '../../src/lib/server/db/schema';
import { createDataset } from '../../src/lib/server/datasets/definitions';
import { defaultSpec } from '../../src/lib/server/datasets/spec';
import { sql } from 'drizzle-orm';

function run(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
	return new Promise((resolve, reject) => {
		const child = spawn('npx', ['tsx', script, ...args], { env: { ...process.env, DATABASE_URL: '', S3_BUCKET: '', LOG_LEVEL: 'silent', ...env } });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk) => (stdout += chunk));
		child.stderr.on('data', (chunk) => (stderr += chunk));
		child.on('error', reject);
		child.on('close', (code) => resolve({ code, stdout, stderr }));
	});
}

// The CLIs open their own embedded database and folder, whatever this project's database is: once is enough.
describe.skipIf(testDatabaseKind() === 'postgres')('npm run export and npm run dataset:verify', () => {
	it('publish the next version to the local folder, announce it to the webhook receiver, and check it', async () => {
		const folder = createScratchFolder();
		try {
			const target = { kind: 'pglite', dir: path.join(folder.dir, 'db') } as const;
			const setup = await openDatabase(target);
			await migrateDatabase(setup, target, path.resolve('drizzle'));
			const { personaId } = await createPersonaWithPairs(setup.db, { pairs: 4, overlap: 1, slug: 'cli' });
			const [annotator] = await createUsers(setup.db, 1);
			const pairs = rowsOf<{ id: string }>(await setup.db.execute(sql`select id from pair order by created_at`));
			await addVotes(setup.db, pairs.map((p) => ({ pairId: p.id, annotatorId: annotator!.id, choice: 'a' as const, strength: 2 })));
			await createDataset(setup.db, personaId, { name: 'CLI prefs', slug: 'cli-prefs', description: '', spec: defaultSpec() }, { id: null });
			await setup.close();
			const env = { PGLITE_DIR: target.dir, OBJECTS_DIR: path.join(folder.dir, 'objects') };

			const published = await run('scripts/export.ts', ['--dataset', 'CLI prefs'], env);
			expect(published.stderr).toBe('');
			expect(published.code).toBe(0);
			expect(published.stdout).toMatch(/announced to the storage webhook/);
			expect(published.stdout).toMatch(/cli\/cli-prefs v1: rows frozen \(train\/test: preference \d+\/\d+/);
			const location = /check it with: npm run dataset:verify -- (\S+)/.exec(published.stdout)![1]!;
			expect(location).toMatch(/^file:\/\/.*\/datasets\/cli\/cli-prefs\/v1\/$/);
			const manifest = JSON.parse(readFileSync(new URL('manifest.json', location), 'utf8'));
			expect(manifest.counts.preference.train + manifest.counts.preference.test).toBe(4);

			const verified = await run('scripts/dataset-verify.ts', [path.join(folder.dir, 'objects', 'datasets', 'cli', 'cli-prefs', 'v1')], env);
			expect(verified.code).toBe(0);
			expect(verified.stdout).toMatch(/cli\/cli-prefs v1: all 14 files match the manifest/);

			const unknown = await run('scripts/export.ts', ['--dataset', 'no-such-dataset'], env);
			expect(unknown.code).toBe(2);
			expect(unknown.stderr).toMatch(/No dataset is called "no-such-dataset"/);

			// the local store announced the manifest to the receiver, which queued the training chain
			const check = await openDatabase(target);
			const deliveries = await check.db.select().from(storageEvent);
			const chains = await check.db.select().from(job).where(like(job.dedupeKey, 'training.chain:%'));
			await check.close();
			expect(deliveries.map((d) => [d.outcome, d.objectKey])).toEqual([['accepted', 'datasets/cli/cli-prefs/v1/manifest.json']]);
			expect(chains).toHaveLength(1);
		} finally {
			folder.remove();
		}
	}, 90_000);
});
