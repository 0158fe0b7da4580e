import * as runtime from '$lib/server/runtime';
import * as jobs from '$lib/server/jobs/queue';
import { requeueFailed } from '$lib/server/sampling/jobs';
import { assertRoundOpen, samplingJobStatus } from '$lib/server/sampling/status';
import { requireRole } from '$lib/server/auth/guard';
import * as audit from '$lib/server/audit';
import { FieldError } from '$lib/server/errors';
import { orNotFound } from '$lib/server/not-found';
import { rejectForm } from '$lib/server/forms';
import type { Actions, PageServerLoad } from './$types';

async function statusOf(id: string) {
	return orNotFound(samplingJobStatus(runtime.db(), id));
}

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	return { job: await statusOf(event.params.id) };
};

export const actions: Actions = {
	cancel: async (event) => {
		const me = requireRole(event, 'admin');
		const job = await statusOf(event.params.id);
		await jobs.requestCancel(runtime.db(), job.id);
		await audit.record(runtime.db(), { actorId: me.id, action: 'sampling.cancel', targetType: 'job', targetId: job.id, ip: event.getClientAddress() });
		return { cancelled: true };
	},
	resume: async (event) => {
		const me = requireRole(event, 'admin');
		const job = await statusOf(event.params.id);
		let retried: number;
		try {
			assertRoundOpen(job);
			await jobs.assertResumable(runtime.db(), job.id);
			// failed replies go back first, so the worker that picks the job up finds them
			retried = await requeueFailed(runtime.db(), job.id);
			await jobs.resume(runtime.db(), job.id);
		} catch (e) {
			if (e instanceof FieldError) return rejectForm(400, { form: e.message }, {});
			throw e;
		}
		await audit.record(runtime.db(), { actorId: me.id, action: 'sampling.resume', targetType: 'job', targetId: job.id, details: { retried }, ip: event.getClientAddress() });
		return { resumed: true, retried };
	}
};
