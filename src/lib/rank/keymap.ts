import type { Preferred } from './types';

/** What a key on the ranking page asks for; the page decides how to do it. */
export type RankCommand =
	| { kind: 'choose'; preferred: Preferred }
	| { kind: 'strength'; value: 1 | 2 | 3 | 4 }
	| { kind: 'submit' | 'skip' | 'undo' | 'toggleGuide' | 'toggleHelp' | 'writeRationale' | 'leaveBox' }
	| { kind: 'edit'; side: 'left' | 'right' };

const plainKeys: Record<string, RankCommand> = {
	a: { kind: 'choose', preferred: 'left' },
	ArrowLeft: { kind: 'choose', preferred: 'left' },
	b: { kind: 'choose', preferred: 'right' },
	ArrowRight: { kind: 'choose', preferred: 'right' },
	t: { kind: 'choose', preferred: 'tie' },
	o: { kind: 'choose', preferred: 'both_off_persona' },
	'1': { kind: 'strength', value: 1 },
	'2': { kind: 'strength', value: 2 },
	'3': { kind: 'strength', value: 3 },
	'4': { kind: 'strength', value: 4 },
	Enter: { kind: 'submit' },
	s: { kind: 'skip' },
	u: { kind: 'undo' },
	g: { kind: 'toggleGuide' },
	r: { kind: 'writeRationale' },
	// E edits the left reply into a gold example, Shift+E the right one
	e: { kind: 'edit', side: 'left' },
	'?': { kind: 'toggleHelp' }
};

type KeyEvent = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey' | 'target'>;

/**
 * The ranking page's keys (listed for people in KeyHelp.svelte). Inside a
 * text box only Esc and Ctrl+Enter mean something; Enter on a focused button
 * or link keeps its own meaning; while the key list is open only `?` works.
 */
export function commandFor(event: KeyEvent, { helpOpen }: { helpOpen: boolean }): RankCommand | null {
	const target = event.target as HTMLElement | null;
	const typing = !!target && (target.tagName === 'TEXTAREA' || target.tagName === 'INPUT' || target.isContentEditable);
	if (typing) {
		if (event.key === 'Escape') return { kind: 'leaveBox' };
		if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) return { kind: 'submit' };
		return null;
	}
	if (event.altKey || (event.metaKey && event.key !== 'z')) return null;
	if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'z') return { kind: 'undo' };
	if (event.ctrlKey) return null;
	if (helpOpen && event.key !== '?') return null;
	const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
	const command = plainKeys[key];
	if (!command) return null;
	if (key === 'Enter' && target && ['BUTTON', 'A', 'SUMMARY'].includes(target.tagName)) return null;
	if (command.kind === 'edit' && event.shiftKey) return { kind: 'edit', side: 'right' };
	return command;
}
