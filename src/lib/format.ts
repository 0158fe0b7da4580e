/** How numbers and moments read on every page (and in the server's messages), in one place. */

/** "2026-11-27 16:21 UTC": a moment as the admin pages write it, the same for every reader's time zone; "—" for none. */
export function minuteUtc(at: Date | null | undefined): string {
	return at ? `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '—';
}

/** "72.6 %" for a share of 1; "—" for no value. */
export function percent(value: number | null | undefined, digits = 1): string {
	return value === null || value === undefined ? '—' : `${(value * 100).toFixed(digits)} %`;
}

/** "0.743": a figure that is not a share; "—" for no value. */
export function decimal(value: number | null | undefined, digits = 3): string {
	return value === null || value === undefined ? '—' : value.toFixed(digits);
}

/** "[0.61, 0.79]" for an interval, "" when either end is missing. */
export function interval(low: number | null | undefined, high: number | null | undefined, show = decimal): string {
	return low === null || low === undefined || high === null || high === undefined ? '' : `[${show(low)}, ${show(high)}]`;
}
