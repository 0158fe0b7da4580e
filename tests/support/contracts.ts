/**
 * The wire formats the test doubles speak, vendored in tests/contracts/ (origins and licences in
 * its README), found from this file so a spec reads them whatever its working directory.
 */
import { readFileSync } from 'node:fs';

/** A contract file's text; `name` is relative to tests/contracts/, e.g. `trl_examples/README.md`. */
export function readContract(name: string): string {
	return readFileSync(new URL(`../contracts/${name}`, import.meta.url), 'utf8');
}
