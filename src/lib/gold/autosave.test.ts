import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GoldAutosave } from './autosave.svelte';

// The editor's promise: whatever was typed survives a reload, a dropped connection and a second tab.

const ID = '11111111-1111-4111-8111-111111111111';
const KEY = `codelynn.gold.${ID}`;

function memoryStorage(): Storage {
	const items = new Map<string, string>();
	return {
		get length() {
			return items.size;
		},
		clear: () => items.clear(),
		getItem: (k) => items.get(k) ?? null,
		key: (i) => [...items.keys()][i] ?? null,
		removeItem: (k) => void items.delete(k),
		setItem: (k, v) => void items.set(k, v)
	};
}

const answer = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

beforeEach(() => {
	vi.useFakeTimers();
	vi.stubGlobal('localStorage', memoryStorage());
});
afterEach(() => {
	vi.useRealTimers();
	vi.unstubAllGlobals();
});

describe('the gold editor’s autosave', () => {
	it('keeps every keystroke in localStorage and saves it with the revision it was edited from', async () => {
		const fetchMock = vi.fn(async () => answer(200, { revision: 2, saved: true }));
		vi.stubGlobal('fetch', fetchMock);
		const draft = new GoldAutosave(ID, { revision: 1, text: 'original' }, true);
		draft.edit('edited');
		expect(JSON.parse(localStorage.getItem(KEY)!)).toEqual({ text: 'edited', baseRevision: 1 });
		expect(await draft.save()).toBe(true);
		expect(JSON.parse(String((fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1].body))).toEqual({ baseRevision: 1, text: 'edited' });
		expect([draft.revision, draft.state, localStorage.getItem(KEY)]).toEqual([2, 'saved', null]);
	});

	it('brings back text that never reached the server, marked unsaved', () => {
		localStorage.setItem(KEY, JSON.stringify({ text: 'typed before the crash', baseRevision: 3 }));
		const draft = new GoldAutosave(ID, { revision: 3, text: 'server text' }, true);
		expect([draft.text, draft.state, draft.pending]).toEqual(['typed before the crash', 'unsaved', true]);
	});

	it('says it is offline and retries until the server answers', async () => {
		const fetchMock = vi.fn().mockRejectedValueOnce(new TypeError('network')).mockResolvedValueOnce(answer(200, { revision: 2, saved: true }));
		vi.stubGlobal('fetch', fetchMock);
		const draft = new GoldAutosave(ID, { revision: 1, text: '' }, true);
		draft.edit('hello');
		expect(await draft.save()).toBe(false);
		expect(draft.state).toBe('offline');
		await vi.advanceTimersByTimeAsync(2_000);
		expect([fetchMock.mock.calls.length, draft.state, draft.revision]).toEqual([2, 'saved', 2]);
	});

	it('on a conflict shows both texts; keep mine saves on top of theirs, take theirs drops mine', async () => {
		const conflict = { latestRevision: 4, latestText: 'theirs', yourText: 'mine' };
		const fetchMock = vi.fn().mockResolvedValueOnce(answer(409, { message: 'meanwhile', conflict })).mockResolvedValueOnce(answer(200, { revision: 5, saved: true }));
		vi.stubGlobal('fetch', fetchMock);
		const draft = new GoldAutosave(ID, { revision: 3, text: 'base' }, true);
		draft.edit('mine');
		await draft.save();
		expect([draft.state, draft.conflict]).toEqual(['conflict', conflict]);
		expect(await draft.keepMine()).toBe(true);
		expect(JSON.parse(String((fetchMock.mock.calls[1] as unknown as [string, RequestInit])[1].body))).toEqual({ baseRevision: 4, text: 'mine' });

		vi.stubGlobal('fetch', vi.fn(async () => answer(409, { message: 'meanwhile', conflict: { ...conflict, latestRevision: 6 } })));
		draft.edit('mine again');
		await draft.save();
		draft.takeTheirs();
		expect([draft.text, draft.revision, draft.state, localStorage.getItem(KEY)]).toEqual(['theirs', 6, 'saved', null]);
	});
});
