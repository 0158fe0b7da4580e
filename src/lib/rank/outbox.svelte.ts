import type { JudgmentPayload } from './types';

/**
 * Judgments waiting to reach the server, kept in localStorage so neither a
 * dropped connection nor a reload loses one. Sent in order; a network error
 * or a 5xx keeps the item and retries with back-off; a 4xx is the server's
 * final word (the item is dropped and the reason reported).
 */
export type OutboxItem = { persona: string; judgment: JudgmentPayload; queuedAt: number };

export type Delivery =
	| { kind: 'accepted'; item: OutboxItem; body: unknown }
	| { kind: 'rejected'; item: OutboxItem; status: number; message: string };

const MAX_DELAY_MS = 30_000;

export class Outbox {
	items = $state<OutboxItem[]>([]);
	/** `offline` while the last attempt failed and a retry is scheduled. */
	state = $state<'idle' | 'sending' | 'offline'>('idle');
	#key: string;
	#endpoint: string;
	#deliver: (delivery: Delivery) => void;
	#failures = 0;
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

	has(pairId: string): boolean {
		return this.items.some((item) => item.judgment.pairId === pairId);
	}

	add(item: OutboxItem): void {
		this.items = [...this.items, item];
		this.#save();
		void this.flush();
	}

	/** Takes an unsent judgment back (undo before it left the browser). */
	take(clientId: string): OutboxItem | undefined {
		const found = this.items.find((item) => item.judgment.clientId === clientId);
		if (found && this.state !== 'sending') {
			this.items = this.items.filter((item) => item !== found);
			this.#save();
			return found;
		}
		return undefined;
	}

	/** Resolves true once the judgment has left the outbox (sent or refused), false after `timeoutMs`. */
	async whenSent(clientId: string, timeoutMs = 10_000): Promise<boolean> {
		const until = Date.now() + timeoutMs;
		while (this.items.some((item) => item.judgment.clientId === clientId)) {
			if (Date.now() > until) return false;
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
		return true;
	}

	async flush(): Promise<void> {
		if (this.state === 'sending') return;
		clearTimeout(this.#timer);
		while (this.items.length > 0) {
			const item = this.items[0]!;
			this.state = 'sending';
			let response: Response;
			try {
				response = await fetch(this.#endpoint, {
					method: 'POST',
					headers: { 'content-type': 'application/json', accept: 'application/json' },
					body: JSON.stringify({ persona: item.persona, judgment: item.judgment })
				});
			} catch {
				this.#retryLater();
				return;
			}
			if (response.status >= 500 || response.status === 429) {
				this.#retryLater();
				return;
			}
			const body = await response.json().catch(() => ({}));
			this.items = this.items.slice(1);
			this.#save();
			this.#failures = 0;
			if (response.ok) this.#deliver({ kind: 'accepted', item, body });
			else this.#deliver({ kind: 'rejected', item, status: response.status, message: messageOf(body, response.status) });
		}
		this.state = 'idle';
	}

	#retryLater(): void {
		this.state = 'offline';
		this.#failures++;
		const delay = Math.min(MAX_DELAY_MS, 1000 * 2 ** (this.#failures - 1));
		this.#timer = setTimeout(() => {
			this.state = 'idle';
			void this.flush();
		}, delay);
	}

	#save(): void {
		localStorage.setItem(this.#key, JSON.stringify(this.items));
	}
}

function messageOf(body: unknown, status: number): string {
	const message = (body as { message?: unknown })?.message;
	return typeof message === 'string' ? message : `The server refused it (${status}).`;
}
