import { drafts, type Draft } from './drafts';
import { Outbox, type Delivery } from './outbox.svelte';
import type { JudgmentPayload, PairView, Preferred, Progress } from './types';

export type Notice = { kind: 'info' | 'error'; text: string };

type Submitted = { payload: JudgmentPayload; pair: PairView; draft: Draft; at: number };

export type RankSessionStart = { annotatorId: string; persona: string; undoSeconds: number; pairs: PairView[]; progress: Progress };

/**
 * The annotator's side of the ranking loop: the pairs in hand (the one on
 * screen first), the choice being made, and submit, skip and undo over the
 * outbox. Only `#show` changes the pairs, so what is on screen and the draft
 * restored for it never disagree. Browser only (localStorage).
 */
export class RankSession {
	pairs = $state<PairView[]>([]);
	progress = $state<Progress>({ today: 0, total: 0 });
	draft = $state<Draft>(drafts.empty());
	notice = $state<Notice | null>(null);
	lastSubmitted = $state<Submitted | null>(null);
	readonly outbox: Outbox;
	readonly current = $derived<PairView | undefined>(this.pairs[0]);
	readonly sided = $derived(this.draft.preferred === 'left' || this.draft.preferred === 'right');
	readonly ready = $derived(!!this.current && !!this.draft.preferred && (!this.sided || this.draft.strength !== null));
	#persona: string;
	#undoSeconds: number;
	#shownAt = Date.now();

	constructor(start: RankSessionStart) {
		this.#persona = start.persona;
		this.#undoSeconds = start.undoSeconds;
		this.outbox = new Outbox(`codelynn.outbox.${start.annotatorId}`, '/api/v1/rank/judgments', (d) => this.#delivered(d));
		this.progress = start.progress;
		// What is still waiting to be sent is already judged: do not show it again.
		this.#show(start.pairs.filter((p) => !this.outbox.has(p.pairId)));
		void this.outbox.flush();
	}

	choose(preferred: Preferred): void {
		this.#edit({ preferred, strength: preferred === 'left' || preferred === 'right' ? this.draft.strength : null });
	}

	setStrength(strength: number): void {
		if (this.sided) this.#edit({ strength });
	}

	setRationale(rationale: string): void {
		this.#edit({ rationale });
	}

	/** Queues the judgment and shows the next pair at once; the outbox sends it. */
	submit(): boolean {
		const pair = this.current;
		if (!this.ready || !pair) return false;
		const payload: JudgmentPayload = {
			clientId: crypto.randomUUID(),
			pairId: pair.pairId,
			preferred: this.draft.preferred!,
			strength: this.sided ? this.draft.strength : null,
			rationale: this.draft.rationale.trim() || undefined,
			durationMs: Date.now() - this.#shownAt
		};
		this.lastSubmitted = { payload, pair, draft: { ...this.draft }, at: Date.now() };
		drafts.clear(pair.pairId);
		this.outbox.add({ persona: this.#persona, judgment: payload, queuedAt: Date.now() });
		this.#show(this.pairs.slice(1));
		this.notice = null;
		return true;
	}

	async skip(): Promise<boolean> {
		const pairId = this.current?.pairId;
		if (!pairId) return false;
		const answer = await this.#post<{ pairs: PairView[] }>('/api/v1/rank/skips', { persona: this.#persona, pairId });
		if (!answer.ok) {
			this.notice = { kind: 'error', text: answer.message ?? 'Could not skip (no connection?). The pair stays; try again.' };
			return false;
		}
		drafts.clear(pairId);
		this.#takePairs(answer.body.pairs, { without: pairId });
		return true;
	}

	/** Brings the last judgment's pair back with its choice: from the outbox if unsent, else from the server. */
	async undo(): Promise<boolean> {
		const last = this.lastSubmitted;
		if (!last || Date.now() - last.at > this.#undoSeconds * 1000) {
			this.notice = { kind: 'info', text: `Only the last judgment can be undone, within ${this.#undoSeconds} seconds.` };
			return false;
		}
		this.lastSubmitted = null;
		if (this.outbox.take(last.payload.clientId)) {
			this.#show([last.pair, ...this.pairs.filter((p) => p.pairId !== last.pair.pairId)], last);
		} else {
			await this.outbox.whenSent(last.payload.clientId);
			// safe to ask twice: an undo that already took effect answers success
			const answer = await this.#post<{ pairs: PairView[]; progress: Progress }>('/api/v1/rank/undo', {
				persona: this.#persona,
				clientId: last.payload.clientId
			});
			if (!answer.ok) {
				// no answer: the undo may or may not have happened, and asking again is safe
				if (answer.message === null) this.lastSubmitted = last;
				this.notice = { kind: 'error', text: answer.message ?? 'Could not undo (no connection?). Press U to try again.' };
				return false;
			}
			this.progress = answer.body.progress;
			this.#show(answer.body.pairs.filter((p) => !this.outbox.has(p.pairId)), last);
		}
		this.notice = { kind: 'info', text: 'Undone: the pair is back, with your choice. Change it and submit again.' };
		return true;
	}

	retryParked(clientId: string): void {
		this.outbox.retry(clientId);
	}

	/** Drops a parked judgment; its pair is still the annotator's on the server, so it comes back to be judged afresh. */
	async discardParked(clientId: string): Promise<void> {
		if (!this.outbox.discard(clientId)) return;
		const response = await fetch(`/api/v1/rank/pairs?persona=${encodeURIComponent(this.#persona)}`, {
			headers: { accept: 'application/json' }
		}).catch(() => null);
		if (response?.ok) this.#takePairs(((await response.json()) as { pairs: PairView[] }).pairs);
	}

	#delivered(delivery: Delivery): void {
		if (delivery.kind === 'rejected') {
			this.notice = { kind: 'error', text: `A judgment was not recorded: ${delivery.message}` };
			return;
		}
		const body = delivery.body as { status: 'recorded' | 'duplicate'; pairs: PairView[] };
		if (body.status === 'recorded') this.progress = { today: this.progress.today + 1, total: this.progress.total + 1 };
		this.#takePairs(body.pairs);
		if (this.outbox.items.length === 0 && this.notice?.kind === 'info') this.notice = null;
	}

	/** Adopts the server's pairs in hand, keeping the one on screen in front. */
	#takePairs(fromServer: PairView[], { without }: { without?: string } = {}): void {
		const fresh = fromServer.filter((p) => !this.outbox.has(p.pairId) && p.pairId !== without);
		const front = this.pairs[0]?.pairId === without ? undefined : this.pairs[0];
		this.#show(front ? [front, ...fresh.filter((p) => p.pairId !== front.pairId)] : fresh);
	}

	/**
	 * The one place the pairs change: a new pair in front gets its saved draft
	 * (or, after an undo, the choice it was submitted with) and a fresh clock.
	 */
	#show(pairs: PairView[], restore?: Submitted): void {
		const before = this.pairs[0]?.pairId;
		this.pairs = pairs;
		const front = pairs[0]?.pairId;
		if (front && restore?.pair.pairId === front) {
			this.draft = { ...restore.draft };
			drafts.save(front, this.draft);
		} else if (front !== before) this.draft = front ? drafts.load(front) : drafts.empty();
		if (front !== before) this.#shownAt = Date.now();
	}

	#edit(change: Partial<Draft>): void {
		this.draft = { ...this.draft, ...change };
		if (this.current) drafts.save(this.current.pairId, this.draft);
	}

	async #post<T>(path: string, body: unknown): Promise<{ ok: true; body: T } | { ok: false; message: string | null }> {
		const response = await fetch(path, {
			method: 'POST',
			headers: { 'content-type': 'application/json', accept: 'application/json' },
			body: JSON.stringify(body)
		}).catch(() => null);
		if (!response) return { ok: false, message: null };
		const answer = await response.json().catch(() => ({}));
		if (!response.ok) return { ok: false, message: (answer as { message?: string }).message ?? null };
		return { ok: true, body: answer as T };
	}
}
