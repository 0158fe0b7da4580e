import { backoffDelay } from '$lib/retry';
import type { GoldConflict } from './types';

/**
 * The gold editor's text and how far it has reached the server. Every
 * keystroke is kept in localStorage (with the revision it was edited from),
 * so a reload, a dropped connection or a crash loses nothing; the server gets
 * it every few seconds while typing, on blur and before submitting. A save
 * names its base revision: a stale one comes back as a conflict with both
 * texts, and nothing is overwritten until the author chooses.
 */
export type SaveState = 'saved' | 'unsaved' | 'saving' | 'offline' | 'conflict' | 'refused';

type Stored = { text: string; baseRevision: number };

const SAVE_EVERY_MS = 3_000;
const RETRY_BACKOFF = { baseMs: 2000, maxMs: 30_000 };

export class GoldAutosave {
	text = $state('');
	/** The server revision `text` was edited from. */
	revision = $state(0);
	state = $state<SaveState>('saved');
	conflict = $state<GoldConflict | null>(null);
	/** Why the server refused a save (e.g. the example was submitted meanwhile). */
	refusal = $state<string | null>(null);
	#savedText = '';
	#key: string;
	#endpoint: string;
	#timer: ReturnType<typeof setTimeout> | undefined;
	#failures = 0;
	#queue: Promise<boolean> = Promise.resolve(true);

	constructor(goldExampleId: string, latest: { revision: number; text: string }, editable: boolean) {
		this.#key = `codelynn.gold.${goldExampleId}`;
		this.#endpoint = `/api/v1/gold/${goldExampleId}`;
		this.text = this.#savedText = latest.text;
		this.revision = latest.revision;
		const stored = editable ? this.#load() : null;
		// Text typed here that never reached the server: bring it back and send it (a stale base becomes a conflict, not a loss).
		if (stored && stored.text !== latest.text && stored.baseRevision <= latest.revision) {
			this.text = stored.text;
			this.revision = stored.baseRevision;
			this.state = 'unsaved';
		} else this.#forget();
	}

	get pending(): boolean {
		return this.text !== this.#savedText;
	}

	edit(text: string): void {
		this.text = text;
		this.#keep();
		if (this.state === 'conflict') return;
		this.state = 'unsaved';
		this.#timer ??= setTimeout(() => void this.save(), SAVE_EVERY_MS);
	}

	/** Sends the text if it changed; true once the server holds exactly it. Calls queue, so saves never race each other. */
	save(): Promise<boolean> {
		clearTimeout(this.#timer);
		this.#timer = undefined;
		this.#queue = this.#queue.then(() => this.#send());
		return this.#queue;
	}

	/** The author's text wins: saved on top of the revision saved meanwhile. */
	keepMine(): Promise<boolean> {
		if (!this.conflict) return Promise.resolve(true);
		this.revision = this.conflict.latestRevision;
		this.#savedText = this.conflict.latestText;
		this.conflict = null;
		this.state = 'unsaved';
		return this.save();
	}

	/** The revision saved meanwhile wins: the editor shows it, and this tab's text is dropped. */
	takeTheirs(): void {
		if (!this.conflict) return;
		this.text = this.#savedText = this.conflict.latestText;
		this.revision = this.conflict.latestRevision;
		this.conflict = null;
		this.state = 'saved';
		this.#forget();
	}

	/** After submitting: nothing of this example is waiting anymore. */
	forget(): void {
		clearTimeout(this.#timer);
		this.#forget();
	}

	async #send(): Promise<boolean> {
		if (this.conflict) return false;
		if (!this.pending) {
			if (this.state !== 'refused') this.state = 'saved';
			return true;
		}
		const text = this.text;
		this.state = 'saving';
		const response = await fetch(this.#endpoint, {
			method: 'PUT',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ baseRevision: this.revision, text })
		}).catch(() => null);
		if (!response || response.status >= 500) return this.#retryLater();
		this.#failures = 0;
		const body = (await response.json().catch(() => ({}))) as { revision?: number; message?: string; conflict?: GoldConflict };
		if (response.status === 409 && body.conflict) {
			this.conflict = body.conflict;
			this.state = 'conflict';
			return false;
		}
		if (!response.ok || body.revision === undefined) {
			this.refusal = body.message ?? `The server refused the save (${response.status}).`;
			this.state = 'refused';
			return false;
		}
		this.revision = body.revision;
		this.#savedText = text;
		this.refusal = null;
		this.#keep();
		if (this.pending) {
			this.state = 'unsaved';
			this.#timer ??= setTimeout(() => void this.save(), SAVE_EVERY_MS);
		} else this.state = 'saved';
		return !this.pending;
	}

	#retryLater(): false {
		this.state = 'offline';
		this.#failures += 1;
		clearTimeout(this.#timer);
		this.#timer = setTimeout(() => void this.save(), backoffDelay(this.#failures, RETRY_BACKOFF));
		return false;
	}

	#keep(): void {
		if (this.pending) localStorage.setItem(this.#key, JSON.stringify({ text: this.text, baseRevision: this.revision } satisfies Stored));
		else this.#forget();
	}

	#forget(): void {
		if (typeof localStorage !== 'undefined') localStorage.removeItem(this.#key);
	}

	#load(): Stored | null {
		if (typeof localStorage === 'undefined') return null;
		try {
			const stored = JSON.parse(localStorage.getItem(this.#key) ?? 'null') as Partial<Stored> | null;
			return stored && typeof stored.text === 'string' && typeof stored.baseRevision === 'number' ? { text: stored.text, baseRevision: stored.baseRevision } : null;
		} catch {
			return null;
		}
	}
}
