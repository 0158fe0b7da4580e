/**
 * Dataset rows as Parquet, streamed one row group at a time: a version of a million
 * rows is written with the memory of one row group, and a slow consumer (the object
 * store upload) slows the database cursor instead of filling the heap.
 *
 * Message lists are standard 3-level LISTs of struct<content, role>, so pyarrow and
 * Hugging Face `datasets` read them as list<struct<content: string, role: string>>,
 * the `features` the dataset card declares (formats/card.ts).
 */
import { ByteWriter, ParquetWriter, type SchemaElement } from 'hyparquet-writer';
import type { DecodedArray } from 'hyparquet';
import type { Message, RowFileKind, RowOf, VoteRow } from '../rows';

export type ParquetOptions = {
	/** Write the `margin` DOUBLE column of preference files; every row must then have a margin. */
	margin: boolean;
	/** Rows per row group (default 10,000); a group also closes early once its text passes ~16 M characters. */
	rowGroupSize?: number;
};

/** Fixed, so the same rows give the same bytes whatever version of the app wrote them. */
const createdBy = 'codeLynn Studio';
const defaultRowGroupSize = 10_000;
/** Long conversations would otherwise make one group of 10,000 rows hundreds of megabytes. */
const groupCharBudget = 16 * 1024 * 1024;

type Column<Row> = {
	/** The column's own element first, then its descendants, depth first. */
	schema: SchemaElement[];
	values(rows: readonly Row[], firstRow: number): DecodedArray;
	/** Characters of text a row puts in this column, when they can be many. */
	weigh?(row: Row): number;
};

/**
 * The Parquet file of `rows`, as byte chunks: the header and first row group, each
 * further row group, and the footer. Nothing is read from `batches` while a chunk
 * waits to be taken. Batch sizes do not change the bytes: groups are cut by row
 * count and text size only. For a Node stream use `Readable.from(…, { objectMode: false })`,
 * so its buffer is counted in bytes rather than in (possibly large) chunks.
 */
export async function* encodeParquet<K extends RowFileKind>(
	kind: K,
	batches: AsyncIterable<readonly RowOf<K>[]> | Iterable<readonly RowOf<K>[]>,
	options: ParquetOptions
): AsyncGenerator<Uint8Array, void, undefined> {
	const rowGroupSize = options.rowGroupSize ?? defaultRowGroupSize;
	if (!Number.isInteger(rowGroupSize) || rowGroupSize < 1) throw new Error(`rowGroupSize must be a positive integer, not ${rowGroupSize}`);
	const columns = columnPlans[kind](options);
	const bytes = new ByteWriter();
	const file = new ParquetWriter({ writer: bytes, schema: schemaOf(columns), createdBy });

	let group: RowOf<K>[] = [];
	let groupChars = 0;
	let written = 0;
	const writeGroup = (): Uint8Array => {
		file.write({ columnData: columnData(columns, group, written), rowGroupSize: group.length });
		written += group.length;
		group = [];
		groupChars = 0;
		return drain(bytes);
	};

	for await (const batch of batches) {
		for (const row of batch) {
			group.push(row);
			for (const column of columns) groupChars += column.weigh?.(row) ?? 0;
			if (group.length >= rowGroupSize || groupChars >= groupCharBudget) yield writeGroup();
		}
	}
	if (group.length > 0) yield writeGroup();
	// The footer holds the schema: with no row at all this is still a readable, empty file.
	file.finish();
	yield written === 0 ? typeEmptyRowGroupList(drain(bytes)) : drain(bytes);
}

/** FileMetaData's `num_rows = 0` (i64 field 3) then `row_groups = []` (list field 4) with no element type. */
const untypedEmptyRowGroups = [0x16, 0x00, 0x19, 0x00];
const thriftStruct = 0x0c;

/**
 * hyparquet-writer 0.17 gives an empty Thrift list the element type 0, which is no type:
 * pyarrow lets it pass, parquet-rs refuses the file ("Expected list element type of Struct").
 * A file with no row group has exactly one empty list, its row groups; declare it a list
 * of structs, as other writers do. Left alone when the writer already types it.
 */
function typeEmptyRowGroupList(file: Uint8Array): Uint8Array {
	const at = lastIndexOf(file, untypedEmptyRowGroups);
	if (at !== -1) file[at + 3] = thriftStruct;
	return file;
}

function lastIndexOf(bytes: Uint8Array, sequence: number[]): number {
	for (let at = bytes.length - sequence.length; at >= 0; at--) if (sequence.every((byte, i) => bytes[at + i] === byte)) return at;
	return -1;
}

/** Hands out what the writer holds and lets it reuse its buffer; `offset` keeps counting for the footer's positions. */
function drain(bytes: ByteWriter): Uint8Array {
	const chunk = bytes.getBytes().slice();
	bytes.index = 0;
	return chunk;
}

function schemaOf<Row>(columns: Column<Row>[]): SchemaElement[] {
	return [{ name: 'schema', num_children: columns.length }, ...columns.flatMap((column) => column.schema)];
}

function columnData<Row>(columns: Column<Row>[], rows: readonly Row[], firstRow: number): { name: string; data: DecodedArray }[] {
	return columns.map((column) => ({ name: column.schema[0]!.name, data: column.values(rows, firstRow) }));
}

const string = (name: string): SchemaElement => ({
	name,
	type: 'BYTE_ARRAY',
	converted_type: 'UTF8',
	logical_type: { type: 'STRING' },
	repetition_type: 'REQUIRED'
});

/** content before role: the order pyarrow gives a struct read back from JSON, and the order in the card. */
function messageColumn<Row>(name: string, messagesOf: (row: Row) => Message[]): Column<Row> {
	return {
		schema: [
			{ name, repetition_type: 'REQUIRED', converted_type: 'LIST', logical_type: { type: 'LIST' }, num_children: 1 },
			{ name: 'list', repetition_type: 'REPEATED', num_children: 1 },
			{ name: 'element', repetition_type: 'REQUIRED', num_children: 2 },
			string('content'),
			string('role')
		],
		values: (rows) => rows.map(messagesOf),
		weigh: (row) => messagesOf(row).reduce((chars, message) => chars + message.content.length, 0)
	};
}

const marginColumn: Column<RowOf<'preference'>> = {
	schema: [{ name: 'margin', type: 'DOUBLE', repetition_type: 'REQUIRED' }],
	values(rows, firstRow) {
		return Float64Array.from(rows, ({ margin }, index) => {
			if (margin === undefined || !Number.isFinite(margin))
				throw new Error(`preference row ${firstRow + index + 1} has margin ${margin}, but this file writes margins: every row needs a finite one`);
			return margin;
		});
	}
};

/** In VoteRow's declared order, as the JSONL vote lines are; a mapped type so no field is forgotten. */
type VoteFieldType = 'string' | 'string?' | 'int32' | 'boolean';
const voteFieldTypes: { [Field in keyof VoteRow]-?: VoteFieldType } = {
	judgment_id: 'string',
	pair_id: 'string',
	prompt_id: 'string',
	domain: 'string',
	annotator: 'string',
	choice: 'string',
	strength: 'int32',
	candidate_a_id: 'string',
	candidate_b_id: 'string',
	model_a: 'string',
	model_b: 'string',
	left: 'string',
	duration_ms: 'int32',
	split: 'string',
	// ISO text rather than a TIMESTAMP: it reads back exactly as votes.jsonl has it.
	created_at: 'string',
	check: 'boolean',
	expected: 'string?'
};

function voteColumn(name: keyof VoteRow, type: VoteFieldType): Column<VoteRow> {
	if (type === 'string') return { schema: [string(name)], values: (rows) => rows.map((row) => row[name]) };
	if (type === 'string?') return { schema: [{ ...string(name), repetition_type: 'OPTIONAL' }], values: (rows) => rows.map((row) => row[name]) };
	if (type === 'boolean') return { schema: [{ name, type: 'BOOLEAN', repetition_type: 'REQUIRED' }], values: (rows) => rows.map((row) => row[name]) };
	return {
		schema: [{ name, type: 'INT32', repetition_type: 'OPTIONAL' }],
		values: (rows) =>
			rows.map((row) => {
				const value = row[name];
				if (value !== null && !(Number.isInteger(value) && Math.abs(Number(value)) < 2 ** 31))
					throw new Error(`judgment ${row.judgment_id} has ${name} ${value}, which does not fit a 32-bit integer`);
				return value;
			})
	};
}

const columnPlans: { [K in RowFileKind]: (options: ParquetOptions) => Column<RowOf<K>>[] } = {
	preference: ({ margin }) => [
		messageColumn('prompt', (row) => row.prompt),
		messageColumn('chosen', (row) => row.chosen),
		messageColumn('rejected', (row) => row.rejected),
		...(margin ? [marginColumn] : [])
	],
	sft: () => [messageColumn('messages', (row) => row.messages)],
	prompt: () => [messageColumn('prompt', (row) => row.prompt)],
	vote: () =>
		(Object.entries(voteFieldTypes) as [keyof VoteRow, VoteFieldType][]).map(([name, type]) => voteColumn(name, type))
};
