import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * What src/routes offers, read from the source the way SvelteKit reads it:
 * a page (GET) per `+page.*`, each key of `export const actions` in
 * `+page.server.*`, each exported HTTP method of `+server.*`.
 * https://svelte.dev/docs/kit/routing
 */
export type Surface =
	| { routeId: string; kind: 'page' }
	| { routeId: string; kind: 'action'; name: string }
	| { routeId: string; kind: 'endpoint'; method: string };

export const ROUTES_DIR = path.resolve('src/routes');
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'fallback'];
const PAGE_FILE = /^\+page(@[^.]*)?\.(svelte|ts|js)$/;
const PAGE_SERVER_FILE = /^\+page(@[^.]*)?\.server\.(ts|js)$/;
const SERVER_FILE = /^\+server\.(ts|js)$/;

export function describeSurface(surface: Surface): string {
	if (surface.kind === 'page') return `GET ${surface.routeId}`;
	if (surface.kind === 'action') return `POST ${surface.routeId} ?/${surface.name}`;
	return `${surface.method} ${surface.routeId} (+server)`;
}

export function readRouteTree(dir = ROUTES_DIR): Surface[] {
	const surfaces: Surface[] = [];
	walk(dir, '', surfaces);
	return surfaces;
}

function walk(dir: string, routeId: string, surfaces: Surface[]): void {
	const entries = readdirSync(dir, { withFileTypes: true });
	const id = routeId || '/';
	const files = entries.filter((e) => e.isFile()).map((e) => e.name);
	if (files.some((name) => PAGE_FILE.test(name) || PAGE_SERVER_FILE.test(name))) surfaces.push({ routeId: id, kind: 'page' });
	for (const name of files.filter((n) => PAGE_SERVER_FILE.test(n))) {
		for (const action of actionNames(path.join(dir, name))) surfaces.push({ routeId: id, kind: 'action', name: action });
	}
	for (const name of files.filter((n) => SERVER_FILE.test(n))) {
		for (const method of exportedNames(parse(path.join(dir, name))).filter((n) => HTTP_METHODS.includes(n)))
			surfaces.push({ routeId: id, kind: 'endpoint', method });
	}
	for (const sub of entries.filter((e) => e.isDirectory()))
		walk(path.join(dir, sub.name), `${routeId}/${sub.name}`, surfaces);
}

function parse(file: string): ts.SourceFile {
	if (!existsSync(file)) throw new Error(`${file} vanished while reading the route tree`);
	return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
}

function isExported(node: ts.Node): boolean {
	return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

/** Exported names, and the local declaration each stands for. */
function exports(source: ts.SourceFile): Map<string, string> {
	const names = new Map<string, string>();
	for (const statement of source.statements) {
		if (ts.isVariableStatement(statement) && isExported(statement)) {
			for (const declaration of statement.declarationList.declarations)
				if (ts.isIdentifier(declaration.name)) names.set(declaration.name.text, declaration.name.text);
		} else if (ts.isFunctionDeclaration(statement) && isExported(statement) && statement.name) {
			names.set(statement.name.text, statement.name.text);
		} else if (ts.isExportDeclaration(statement)) {
			// `export * from` could hide a handler or actions; refuse to guess.
			if (!statement.exportClause || !ts.isNamedExports(statement.exportClause))
				throw new Error(`${source.fileName}: \`export *\` hides what the route exports; name the exports.`);
			for (const element of statement.exportClause.elements)
				names.set(element.name.text, (element.propertyName ?? element.name).text);
		}
	}
	return names;
}

function exportedNames(source: ts.SourceFile): string[] {
	return [...exports(source).keys()];
}

function actionNames(file: string): string[] {
	const source = parse(file);
	const local = exports(source).get('actions');
	if (!local) return [];
	const initializer = source.statements
		.filter(ts.isVariableStatement)
		.flatMap((s) => [...s.declarationList.declarations])
		.find((d) => ts.isIdentifier(d.name) && d.name.text === local)?.initializer;
	const literal = initializer && unwrap(initializer);
	if (!literal || !ts.isObjectLiteralExpression(literal))
		throw new Error(`${file}: write \`export const actions = { … }\` as an object literal so the authorization matrix can read its keys.`);
	return literal.properties.map((property) => {
		const key = ts.isSpreadAssignment(property) ? undefined : property.name;
		if (key && (ts.isIdentifier(key) || ts.isStringLiteral(key))) return key.text;
		throw new Error(`${file}: every action needs a plain key (no spreads or computed names) for the authorization matrix.`);
	});
}

/** `{ … } satisfies Actions`, `({ … }) as Actions` and the like. */
function unwrap(node: ts.Expression): ts.Expression {
	if (ts.isSatisfiesExpression(node) || ts.isAsExpression(node) || ts.isParenthesizedExpression(node) || ts.isTypeAssertionExpression(node))
		return unwrap(node.expression);
	return node;
}
