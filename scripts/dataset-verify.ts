/**
 * Checks a published dataset version against its manifest: every file's
 * bytes, SHA-256 and rows, and no file the manifest does not list.
 *
 *   npm run dataset:verify -- LOCATION
 *
 * LOCATION is the version's folder: s3://bucket/datasets/lynn/prefs/v3/
 * (endpoint, region and credentials from the S3_* settings), file:///… or a
 * local path. Exit 0: everything matches; 1: a mismatch (each is printed);
 * 2: the command is wrong or there is no manifest to check.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/lib/server/config';
import { openLocation } from '../src/lib/server/storage';
import { verifyVersion } from '../src/lib/server/datasets/verify';

const usage = 'usage: npm run dataset:verify -- LOCATION   (s3://bucket/prefix/, file:///path/ or a folder)';

function fail(message: string): never {
	console.error(message);
	process.exit(2);
}

const { positionals } = (() => {
	try {
		return parseArgs({ allowPositionals: true, options: {} });
	} catch (error) {
		fail(`${(error as Error).message}\n${usage}`);
	}
})();
if (positionals.length !== 1) fail(usage);

const { store, prefix } = (() => {
	try {
		return openLocation(positionals[0]!, loadConfig().s3);
	} catch (error) {
		fail((error as Error).message);
	}
})();

const result = await verifyVersion(store, prefix, {
	onFile: (check) =>
		console.log(
			`${check.problems.length ? 'FAIL' : 'ok  '} ${check.path}  ${check.rows ?? '-'} rows, ${check.bytes} bytes${check.problems.length ? `: ${check.problems.join('; ')}` : ''}`
		)
}).catch((error: Error) => fail(`Cannot check ${positionals[0]}: ${error.message}`));

for (const path of result.unlisted) console.log(`FAIL ${path}  is not in the manifest`);
const { manifest } = result;
const bad = result.files.filter((f) => f.problems.length).length + result.unlisted.length;
console.log(
	bad
		? `${bad} problem${bad === 1 ? '' : 's'}: ${manifest.persona}/${manifest.dataset.slug} v${manifest.version} at ${result.location} does NOT match its manifest.`
		: `${manifest.persona}/${manifest.dataset.slug} v${manifest.version}: all ${result.files.length} files match the manifest (${result.location}).`
);
process.exit(bad ? 1 : 0);
