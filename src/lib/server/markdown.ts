import MarkdownIt from 'markdown-it';

// Raw HTML in the source is escaped (html: false), so rendering text that people
// typed (style guides, prompts, replies) cannot inject markup or scripts.
const md = new MarkdownIt({ html: false, linkify: true, typographer: false });

export function renderMarkdown(source: string): string {
	return md.render(source);
}
