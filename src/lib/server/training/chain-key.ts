/** The job that runs one training chain of a dataset version, and the keys that make it happen once. */
export const CHAIN_JOB = 'training.chain';

/** `<version id>#<n>`: chain 1 comes from the storage event; an admin's re-run makes n + 1. */
export function chainKeyOf(versionId: string, chain: number): string {
	return `${versionId}#${chain}`;
}

/** One job per chain, ever: repeated webhook deliveries hit this unique key. */
export function chainDedupeKey(versionId: string, chain: number): string {
	return `${CHAIN_JOB}:${chainKeyOf(versionId, chain)}`;
}

/** What goes in a KFP run's description: KFP has no idempotency key, so ListRuns finds runs by it. */
export function runDedupeKey(versionId: string, chain: number, kind: 'reward_model' | 'ppo'): string {
	return `dedupe-key=codelynn:${chainKeyOf(versionId, chain)}:${kind}`;
}
