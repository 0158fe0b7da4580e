import { z } from 'zod';
import raw from './prompts.json';
import styleGuide from './style-guide.md?raw';

// The demo workspace's text, written by hand for the persona and shipped with the app.
// Parsed here so a typo in the JSON fails the build's tests, not a user's first start.

const messageSchema = z.object({ role: z.enum(['user', 'assistant']), content: z.string().min(1) });

const demoPromptSchema = z.object({
	domain: z.enum(['coding', 'maths', 'german', 'latin', 'chat']),
	messages: z
		.array(messageSchema)
		.min(1)
		.refine((m) => m.at(-1)?.role === 'user', 'a prompt must end with the user turn'),
	candidates: z
		.array(z.object({ text: z.string().min(1), fit: z.enum(['strong', 'weak', 'off']) }))
		.min(2)
		.refine((c) => c.some((x) => x.fit === 'strong') && c.some((x) => x.fit !== 'strong'), 'needs a strong and a weaker reply')
});

export const demoContentSchema = z.object({ systemPrompt: z.string().min(1), prompts: z.array(demoPromptSchema).min(60) });

export type DemoPrompt = z.infer<typeof demoPromptSchema>;
export type DemoContent = z.infer<typeof demoContentSchema> & { styleGuide: string };

export function loadDemoContent(): DemoContent {
	return { ...demoContentSchema.parse(raw), styleGuide };
}
