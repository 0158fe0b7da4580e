import { backoffDelay } from '$lib/retry';
import type { JudgmentPayload } from './types';

/**
 * Judgments waiting to reach the server, kept in localStorage so neither a
 * dropped connection nor a reload loses one. Sent in order. No connection:
 * everything waits and is retried with back-off (and on `online`). A 5xx:
 * the judgment is retried with back-off, and after `MAX_TRIES` it is parked
 * with the server's message, so the judgments behind it go on; the annotator
 * retries or discards it. A 4xx is the server's final word (the judgment is
 * dropped and the reason reported).
 */
export type OutboxItem = {
	persona: string;
	judgment: JudgmentPayload;
	queuedAt: number;
	/** 5xx answers so far */
	tries?: number;
	parked?: { status: number; message: string; at: number };
};

export type Delivery =
	| { kind: 'accepted'; item: OutboxItem; body: unknown }
	| { kind: 'rejected'; item: OutboxItem; status: number; message: string };

export const MAX_TRIES = 5;
const BACKOFF = { baseMs: 1000, maxMs: 30_000 };

type Attempt = { kind: 'network' } | { kind: 'server'; status: number; message: string } | { kind: 'answered'; response: Response };

export class Outbox {
	items = $state<OutboxItem[]>([]);
	/** `offline`: no connection, retry scheduled; `retrying`: the server failed, retry scheduled. */
	state = $state<'idle' | 'sending' | 'offline' | 'retrying'>('idle');
	#key: string;
	#endpoint: string;
	#deliver: (delivery: Delivery) => void;
	#offlineTries = 0;
	#inFlight: string | undefined;
	#timer: ReturnType<typeof setTimeout> | undefined;

	constructor(key: string, endpoint: string, deliver: (delivery: Delivery) => void) {
		this.#key = key;
		this.#endpoint = endpoint;
		this.#deliver = deliver;
		try {
			this.items = JSON.parse(localStorage.getItem(key) ?? '[]') as OutboxItem[];
		} catch {
			this.items = [];
		}
		window.addEventListener('online', () => this.flush());
	}

	get waiting(): OutboxItem[] {
		return this.items.filter((item) => !item.parked);
	}

	get parked(): OutboxItem[] {
		return this.items.filter((item) => item.parked);
	}

	/** The pair's judgment is still in the browser (waiting or parked): do not show the pair again. */
	has(pairId: string): boolean {
		return this.items.some((item) => item.judgment.pairId === pairId);
	}

	add(item: OutboxItem): void {
		this.#set([...this.items, item]);
		void this.flush();
	}

	/** Takes an unsent judgment back (undo before it left the browser); not the one on the wire. */
	take(clientId: string): OutboxItem | undefined {
		const found = this.items.find((item) => item.judgment.clientId === clientId);
		if (!found || this.#inFlight === clientId) return undefined;
		this.#set(this.items.filter((item) => item !== found));
		return found;
	}

	/** A parked judgment goes back in line, with its tries counted afresh. */
	retry(clientId: string): void {
		this.#set(this.items.map((item) => (item.judgment.clientId === clientId ? { ...item, parked: undefined, tries: 0 } : item)));
		void this.flush();
	}

	/** Gives up on a parked judgment; the pair stays the annotator's on the server and comes back to them. */
	discard(clientId: string): OutboxItem | undefined {
		const found = this.items.find((item) => item.judgment.clientId === clientId && item.parked);
		if (found) this.#set(this.items.filter((item) => item !== found));
		return found;
	}

	/** Resolves true once the judgment has left the outbox (sent or refused), false after `timeoutMs` or if parked. */
	async whenSent(clientId: string, timeoutMs = 10_000): Promise<boolean> {
		const until = Date.now() + timeoutMs;
		for (;;) {
			const item = this.items.find((i) => i.judgment.clientId === clientId);
			if (!item) return true;
			if (item.parked || Date.now() > until) return false;
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
	}

	async flush(): Promise<void> {
		if (this.state === 'sending') return;
		clearTimeout(this.#timer);
		for (let item = this.waiting[0]; item; item = this.waiting[0]) {
			this.state = 'sending';
			this.#inFlight = item.judgment.clientId;
			const attempt = await this.#send(item);
			this.#inFlight = undefined;
			if (attempt.kind === 'network') return this.#retryLater('offline', ++this.#offlineTries);
			this.#offlineTries = 0;
			if (attempt.kind === 'server') {
				const tries = (item.tries ?? 0) + 1;
				const parked = tries >= MAX_TRIES ? { status: attempt.status, message: attempt.message, at: Date.now() } : undefined;
				this.#replace(item, { ...item, tries, parked });
				if (!parked) return this.#retryLater('retrying', tries);
				continue;
			}
			const { response } = attempt;
			const body = await response.json().catch(() => ({}));
			this.#set(this.items.filter((i) => i.judgment.clientId !== item!.judgment.clientId));
			if (response.ok) this.#deliver({ kind: 'accepted', item, body });
			else this.#deliver({ kind: 'rejected', item, status: response.status, message: messageOf(body, response.status) });
		}
		this.state = 'idle';
	}

	async #send(item: OutboxItem): Promise<Attempt> {
		let response: Response;
		try {
			response = await fetch(this.#endpoint, {
				method: 'POST',
				headers: { 'content-type': 'application/json', accept: 'application/json' },
				body: JSON.stringify({ persona: item.persona, judgment: item.judgment })
			});
		} catch {
			return { kind: 'network' };
		}
		if (response.status < 500 && response.status !== 429) return { kind: 'answered', response };
		const body = await response.json().catch(() => ({}));
		return { kind: 'server', status: response.status, message: messageOf(body, response.status) };
	}

	#retryLater(state: 'offline' | 'retrying', attempt: number): void {
		this.state = state;
		this.#timer = setTimeout(() => {
			this.state = 'idle';
			void this.flush();
		}, backoffDelay(attempt, BACKOFF));
	}

	#replace(old: OutboxItem, next: OutboxItem): void {
		this.#set(this.items.map((item) => (item.judgment.clientId === old.judgment.clientId ? next : item)));
	}

	#set(items: OutboxItem[]): void {
		this.items = items;
		localStorage.setItem(this.#key, JSON.stringify(items));
	}
}

function messageOf(body: unknown, status: number): string {
	const message = (body as { message?: unknown })?.message;
	return typeof message === 'string' ? message : `The server answered ${status}.`;
}
