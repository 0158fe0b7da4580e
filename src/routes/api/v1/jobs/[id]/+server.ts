import * as runtime from '$lib/server/runtime';
import { samplingJobStatus } from '$lib/server/sampling/status';
import { answer } from '$lib/server/api/respond';
import { requireRole } from '$lib/server/auth/guard';
import type { RequestHandler } from './$types';

/** A sampling job's state and progress; the job page polls it. */
export const GET: RequestHandler = async (event) => {
	requireRole(event, 'admin');
	return answer(() => samplingJobStatus(runtime.db(), event.params.id));
};
