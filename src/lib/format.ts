/** "2026-11-27 16:21 UTC": a moment as the admin pages write it, the same for every reader's time zone; "—" for none. */
export function minuteUtc(at: Date | null | undefined): string {
	return at ? `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '—';
}
