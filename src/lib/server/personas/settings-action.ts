import type { RequestEvent } from '@sveltejs/kit';
import * as audit from '../audit';
import { requireRole } from '../auth/guard';
import type { Tx } from '../db';
import { rejectForm } from '../forms';
import * as runtime from '../runtime';
import type { SettingsForm } from '../settings-form';
import { personaFromUrl } from './from-url';

/**
 * The "save settings" action of a persona-scoped admin page (quality, evaluation): read the form into
 * the settings schema, refuse naming the field, else save and audit `auditAction` in one transaction.
 * Saving the same values again writes the same row: safe to retry.
 */
export async function savePersonaSettings<T extends Record<string, unknown>>(
	event: RequestEvent,
	form: SettingsForm<T>,
	save: (tx: Tx, personaId: string, settings: T) => Promise<void>,
	auditAction: string
) {
	const me = requireRole(event, 'admin');
	const { input, typed } = form.read(await event.request.formData());
	const values = { action: 'settings', ...typed };
	const parsed = form.schema.safeParse(input);
	if (!parsed.success) return rejectForm(400, parsed.error, values);
	const persona = await personaFromUrl(event.url);
	await runtime.db().transaction(async (tx) => {
		await save(tx, persona.id, parsed.data);
		await audit.record(tx, { actorId: me.id, action: auditAction, targetType: 'persona', targetId: persona.id, details: parsed.data, ip: event.getClientAddress() });
	});
	return { savedSettings: true as const };
}
