import * as runtime from '$lib/server/runtime';
import { versionState } from '$lib/server/datasets/pages';
import { answer } from '$lib/server/api/respond';
import { requireRole } from '$lib/server/auth/guard';
import type { RequestHandler } from './$types';

/** A dataset version's status and, while it builds, its publish progress; the dataset pages poll it. */
export const GET: RequestHandler = async (event) => {
	requireRole(event, 'admin');
	return answer(() => versionState(runtime.db(), event.params.id));
};
