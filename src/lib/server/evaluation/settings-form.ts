import { settingsForm } from '../settings-form';
import { evaluationSettingsSchema } from './settings';

/** The evaluation settings form: five numbers and the two automatic switches (see settingsForm). */
export const evaluationSettingsForm = settingsForm(evaluationSettingsSchema, ['roundOnCandidate', 'autoPromote']);
