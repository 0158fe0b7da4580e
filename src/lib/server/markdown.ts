import MarkdownIt from 'markdown-it';
import katexPlugin from '@vscode/markdown-it-katex';
import hljs from 'highlight.js/lib/common';

// Raw HTML in the source is escaped (html: false), so rendering text that people
// or models wrote (style guides, prompts, replies) cannot inject markup or scripts.
// KaTeX output and highlight.js spans are generated markup, not source HTML.
const md = new MarkdownIt({
	html: false,
	linkify: true,
	typographer: false,
	highlight(code, language) {
		if (language && hljs.getLanguage(language)) {
			try {
				return hljs.highlight(code, { language, ignoreIllegals: true }).value;
			} catch {
				// fall through to markdown-it's escaping
			}
		}
		return '';
	}
});
md.use((katexPlugin as unknown as { default?: typeof katexPlugin }).default ?? katexPlugin, {
	throwOnError: false,
	strict: 'ignore'
});

// Links open outside the app and never carry the studio as referrer.
const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, i, options, _env, self) => self.renderToken(tokens, i, options));
md.renderer.rules.link_open = (tokens, i, options, env, self) => {
	tokens[i]!.attrSet('target', '_blank');
	tokens[i]!.attrSet('rel', 'noopener noreferrer nofollow');
	return defaultLinkOpen(tokens, i, options, env, self);
};

/** Replies and prompts are immutable, so their HTML is cached by text (bounded, oldest out first). */
const cache = new Map<string, string>();
const CACHE_ENTRIES = 5000;

/** `cache: false` for text that changes as it is typed (the editor's preview): each draft is rendered once. */
export function renderMarkdown(source: string, options: { cache?: boolean } = {}): string {
	if (options.cache === false) return md.render(source);
	const hit = cache.get(source);
	if (hit !== undefined) return hit;
	const html = md.render(source);
	if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
	cache.set(source, html);
	return html;
}
