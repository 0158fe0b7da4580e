/**
 * What every file import shares: reading the file one record at a time (so
 * memory does not grow with the file), collecting bad lines, and the one
 * transaction that keeps an import all-or-nothing.
 *
 * JSONL is read with readline; CSV with csv-parse, an RFC 4180 parser
 * (https://www.rfc-editor.org/rfc/rfc4180): quoted fields may hold commas,
 * doubled quotes and newlines, so a record may span several lines.
 */
import { createInterface } from 'node:readline';
import { pipeline, Readable } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { CsvError, parse as parseCsv } from 'csv-parse';
import type { z } from 'zod';
import type { Db, Tx } from '../db';

export const importFormats = ['jsonl', 'csv'] as const;
export type ImportFormat = (typeof importFormats)[number];

/** A Node stream (a local file) or a web stream (`File.stream()` of an upload). */
export type ImportSource = Readable | ReadableStream<Uint8Array>;

/** Rows are inserted this many at a time, inside the import's one transaction. */
export const BATCH_SIZE = 500;

/** Beyond this many, bad lines are counted rather than listed. */
export const MAX_LISTED_ERRORS = 200;

/** A record longer than this is refused rather than held in memory. */
const MAX_RECORD_CHARS = 1_000_000;

export type LineError = { line: number; message: string };

/** Who imports: recorded in the audit event (null for the CLI). */
export type Actor = { id: string | null; ip?: string | null };

/** What the file held, read one record at a time: a JSON value, CSV cells by column, or why the record is unreadable. */
export type FileRecord =
	| { line: number; kind: 'json'; value: unknown }
	| { line: number; kind: 'csv'; cells: Record<string, string> }
	| { line: number; kind: 'unreadable'; message: string };

/** The counts every import answers with; `errors` non-empty means nothing was written. */
export type ImportSummary = {
	/** Records read: JSONL's non-blank lines, CSV's rows after the header. */
	lines: number;
	imported: number;
	duplicates: number;
	errors: LineError[];
	/** Bad lines beyond the first MAX_LISTED_ERRORS. */
	moreErrors: number;
};

/** `.jsonl` / `.ndjson` / `.csv` by the file name, unless the person chose. */
export function formatOf(fileName: string, chosen?: string | null): ImportFormat | undefined {
	if (chosen === 'jsonl' || chosen === 'csv') return chosen;
	const extension = fileName.toLowerCase().match(/\.([a-z]+)$/)?.[1];
	if (extension === 'jsonl' || extension === 'ndjson') return 'jsonl';
	if (extension === 'csv') return 'csv';
	return undefined;
}

function toReadable(source: ImportSource): Readable {
	return source instanceof Readable ? source : Readable.fromWeb(source as NodeWebStream<Uint8Array>);
}

/** One JSON value per non-blank line; the line number is the file's own. */
export async function* readJsonl(source: ImportSource): AsyncGenerator<FileRecord> {
	const lines = createInterface({ input: toReadable(source), crlfDelay: Infinity });
	let line = 0;
	for await (const raw of lines) {
		line++;
		// Editors on Windows start UTF-8 files with a byte-order mark.
		const text = (line === 1 ? raw.replace(/^\uFEFF/, '') : raw).trim();
		if (!text) continue;
		if (text.length > MAX_RECORD_CHARS) {
			yield { line, kind: 'unreadable', message: `the line is longer than ${MAX_RECORD_CHARS} characters` };
			continue;
		}
		try {
			yield { line, kind: 'json', value: JSON.parse(text) };
		} catch (error) {
			yield { line, kind: 'unreadable', message: `not valid JSON (${(error as Error).message})` };
		}
	}
}

/**
 * Records after the header row, as cells keyed by the header's (trimmed,
 * lower-cased) names; empty cells are left out. `checkHeader` answers why a
 * header is unusable, or null. The line is where the record starts. A CSV
 * syntax error (a stray quote) ends the reading: past it, where one record
 * stops and the next begins is a guess.
 */
export async function* readCsv(source: ImportSource, checkHeader: (columns: string[]) => string | null): AsyncGenerator<FileRecord> {
	const parser = parseCsv({
		bom: true,
		info: true,
		relax_column_count: true,
		skip_empty_lines: true,
		record_delimiter: ['\r\n', '\n', '\r'],
		max_record_size: MAX_RECORD_CHARS,
		// Reported through 'skip' rather than thrown: a thrown error would discard the records parsed
		// ahead of this reader, and with them any bad lines before the syntax error.
		skip_records_with_error: true
	});
	let syntax: { afterRecords: number; line: number; message: string } | undefined;
	parser.on('skip', (error: CsvError) => {
		syntax ??= { afterRecords: parser.info.records, line: typeof error.lines === 'number' ? error.lines : parser.info.lines, message: error.message };
	});
	// pipeline: when reading stops early, the file (or upload) is closed too.
	pipeline(toReadable(source), parser, () => {});
	let header: string[] | undefined;
	let endedOn = 0;
	let emptyLines = 0;
	for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number; empty_lines: number; records: number } }>) {
		if (syntax && info.records > syntax.afterRecords) break;
		const line = endedOn + 1 + (info.empty_lines - emptyLines);
		[endedOn, emptyLines] = [info.lines, info.empty_lines];
		if (!header) {
			header = record.map((name) => name.trim().toLowerCase());
			const problem = checkHeader(header);
			if (problem) {
				yield { line, kind: 'unreadable', message: problem };
				return;
			}
			continue;
		}
		if (record.length !== header.length) {
			yield { line, kind: 'unreadable', message: `${record.length} fields, but the header has ${header.length}` };
			continue;
		}
		const cells: Record<string, string> = {};
		header.forEach((name, i) => {
			if (record[i] !== '') cells[name] = record[i]!;
		});
		yield { line, kind: 'csv', cells };
	}
	if (syntax) yield { line: syntax.line, kind: 'unreadable', message: `CSV syntax: ${syntax.message}; the lines after it were not read` };
}

/** The bad lines of one file, lowest line numbers first, listing at most MAX_LISTED_ERRORS. */
export class LineErrors {
	private readonly listed: LineError[] = [];
	private unlisted = 0;

	add(line: number, message: string): void {
		this.listed.push({ line, message });
		// Lines from batch checks arrive after later lines' parse errors: keep the lowest.
		if (this.listed.length > MAX_LISTED_ERRORS) {
			this.listed.sort((a, b) => a.line - b.line);
			this.listed.pop();
			this.unlisted++;
		}
	}

	get count(): number {
		return this.listed.length + this.unlisted;
	}

	report(): Pick<ImportSummary, 'errors' | 'moreErrors'> {
		return { errors: [...this.listed].sort((a, b) => a.line - b.line), moreErrors: this.unlisted };
	}
}

/** `messages[2].role: …; domain: …` — every issue of one line, with where it is. */
export function issuesText(error: z.ZodError): string {
	return error.issues
		.map((issue) => {
			const where = issue.path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i ? `.${String(key)}` : String(key))).join('');
			return where ? `${where}: ${issue.message}` : issue.message;
		})
		.join('; ');
}

/** Thrown to roll the import's transaction back once every line has been read. */
class Refused extends Error {}

/**
 * Runs `work` in one transaction and commits only when `errors` stayed empty:
 * rows are inserted while the file is read (memory stays flat), and a bad line
 * anywhere undoes them all. Answers undefined when refused.
 */
export async function allOrNothing<T>(db: Db, errors: LineErrors, work: (tx: Tx) => Promise<T>): Promise<T | undefined> {
	try {
		return await db.transaction(async (tx) => {
			const result = await work(tx);
			if (errors.count > 0) throw new Refused();
			return result;
		});
	} catch (error) {
		if (error instanceof Refused) return undefined;
		throw error;
	}
}

/** Drops `null` members, so `"id": null` reads as no id (exporters write nulls for missing values). */
export function withoutNulls(value: unknown): unknown {
	if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
	return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== null));
}
