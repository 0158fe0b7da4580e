import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * A clone must work on its own: no file may lean on a folder beside the repository or on a path of
 * the machine it was written on. The patterns are assembled so this file does not match itself.
 */
const OUTSIDE_PATHS = [['..', 'shared'].join('/'), ['', 'work', ''].join('/')];

function tracked(pattern: string): string[] {
	try {
		return execFileSync('git', ['grep', '-n', '-F', '-e', pattern], { encoding: 'utf8' }).trim().split('\n');
	} catch (error) {
		// git grep exits 1 when nothing matches: the answer we want.
		if ((error as { status?: number }).status === 1) return [];
		throw error;
	}
}

describe('the repository stands alone', () => {
	it.each(OUTSIDE_PATHS)('no tracked file names %s', (pattern) => {
		expect(tracked(pattern)).toEqual([]);
	});

	it('names the origin of every vendored contract file in tests/contracts/README.md', () => {
		const readme = readFileSync('tests/contracts/README.md', 'utf8');
		const files = readdirSync('tests/contracts', { recursive: true, withFileTypes: true })
			.filter((entry) => entry.isFile())
			.map((entry) => path.relative('tests/contracts', path.join(entry.parentPath, entry.name)))
			.filter((file) => file !== 'README.md');
		expect(files.length).toBeGreaterThan(10);
		expect(files.filter((file) => !readme.includes(`\`${file}\``))).toEqual([]);
	});
});
