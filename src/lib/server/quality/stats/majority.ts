/**
 * A pair's majority as the quality figures define it: the unique most frequent
 * answer (a plurality; with up to three voters the same as a strict majority),
 * none when two answers lead together, and the share of votes agreeing with it.
 */
export type Majority<T> = { votes: number; majority: T | null; agreeing: number; share: number | null };

export function majorityOf<T>(answers: readonly T[]): Majority<T> {
	const counts = new Map<T, number>();
	for (const answer of answers) counts.set(answer, (counts.get(answer) ?? 0) + 1);
	let leader: T | null = null;
	let most = 0;
	let tied = false;
	for (const [answer, count] of counts) {
		if (count > most) [leader, most, tied] = [answer, count, false];
		else if (count === most) tied = true;
	}
	if (leader === null || tied) return { votes: answers.length, majority: null, agreeing: 0, share: null };
	return { votes: answers.length, majority: leader, agreeing: most, share: most / answers.length };
}
