/**
 * Accounts from the command line, for a real deployment's first admin.
 * The password is never an argument (it would land in shell history and `ps`):
 * it is asked for on a terminal, or read from standard input when piped.
 *
 *   npm run user -- create --email lynn@example.org --role admin [--name "Lynn"]
 *   npm run user -- reset-password --email lynn@example.org
 *   printf '%s\n' "$PASSWORD" | npm run user -- create --email … --role admin
 *
 * With PGlite, stop the server first: an embedded database has one owner at a time.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../src/lib/server/config';
import { migrateDatabase, openDatabase } from '../src/lib/server/db';
import { passwordSchema } from '../src/lib/server/auth/password';
import * as accounts from '../src/lib/server/users/accounts';
import { FieldError } from '../src/lib/server/errors';

const usage = `usage:
  npm run user -- create --email EMAIL --role annotator|reviewer|admin [--name NAME]
  npm run user -- reset-password --email EMAIL
The password is read from the terminal (hidden) or from standard input.`;

const { positionals, values } = parseArgs({
	allowPositionals: true,
	options: { email: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean' } }
});

function fail(message: string): never {
	console.error(message);
	process.exit(2);
}

/** Hidden prompt on a terminal (asked twice); the first line of stdin otherwise. */
async function readPassword(): Promise<string> {
	if (!process.stdin.isTTY) {
		const rl = createInterface({ input: process.stdin });
		for await (const line of rl) return line;
		fail('No password on standard input.');
	}
	const ask = (question: string) =>
		new Promise<string>((resolve) => {
			const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
			const output = rl as unknown as { _writeToOutput: (s: string) => void };
			output._writeToOutput = (s: string) => {
				if (s.startsWith(question)) process.stdout.write(question);
			};
			rl.question(question, (answer) => {
				rl.close();
				process.stdout.write('\n');
				resolve(answer);
			});
		});
	const first = await ask('Password: ');
	if ((await ask('Repeat password: ')) !== first) fail('The passwords do not match.');
	return first;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
	const parsed = schema.safeParse(value);
	if (!parsed.success) fail(`--${field}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
	return parsed.data;
}

const command = positionals[0];
if (values.help || !command || !['create', 'reset-password'].includes(command)) fail(usage);
const email = parse(accounts.emailSchema, values.email, 'email');
const role = command === 'create' ? parse(accounts.roleSchema, values.role, 'role') : undefined;
const displayName = parse(accounts.displayNameSchema, values.name ?? email.split('@')[0], 'name');
const password = parse(passwordSchema, await readPassword(), 'password');

const config = loadConfig();
const database = await openDatabase(config.database, { poolSize: 2 });
try {
	await migrateDatabase(database, config.database, config.migrationsDir);
	if (command === 'create') {
		const created = await accounts.createUser(database.db, { email, displayName, role: role!, password }, { id: null });
		console.log(`Created ${role} ${email} (${created.id}).`);
	} else {
		const found = await accounts.findUserByEmail(database.db, email);
		if (!found) fail(`--email: no account with the email ${email}.`);
		await accounts.resetPassword(database.db, found.id, password, { id: null });
		console.log(`Password reset for ${email}; their sessions were signed out.`);
	}
} catch (error) {
	if (error instanceof FieldError) fail(`--${error.field}: ${error.message}`);
	throw error;
} finally {
	await database.close();
}
