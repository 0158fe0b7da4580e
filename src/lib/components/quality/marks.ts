// Marks shared by the quality charts. Each series differs by its marker shape
// and its line's dash as well as its colour, so a chart reads without colour
// (and in print); every chart also carries its numbers as a table.

export type MarkerShape = 'circle' | 'square' | 'triangle' | 'diamond';

/** A marker of about `size` px across, centred on (x, y), as an SVG path. */
export function markerPath(shape: MarkerShape, x: number, y: number, size = 7): string {
	const r = size / 2;
	switch (shape) {
		case 'square':
			return `M${x - r},${y - r}h${size}v${size}h${-size}Z`;
		case 'triangle':
			return `M${x},${y - r * 1.2}L${x + r * 1.1},${y + r * 0.8}L${x - r * 1.1},${y + r * 0.8}Z`;
		case 'diamond':
			return `M${x},${y - r * 1.3}L${x + r},${y}L${x},${y + r * 1.3}L${x - r},${y}Z`;
		default:
			return `M${x - r},${y}a${r},${r} 0 1,0 ${size},0a${r},${r} 0 1,0 ${-size},0`;
	}
}

/** The look of the n-th series of a chart: shape, dash and colour together. */
export const seriesStyles = [
	{ shape: 'circle', dash: '', colour: 'var(--chart-1, #1f5fa8)' },
	{ shape: 'square', dash: '6 3', colour: 'var(--chart-2, #b3541e)' },
	{ shape: 'triangle', dash: '2 3', colour: 'var(--chart-3, #3d7d3a)' },
	{ shape: 'diamond', dash: '8 3 2 3', colour: 'var(--chart-4, #6b4a9a)' }
] as const satisfies ReadonlyArray<{ shape: MarkerShape; dash: string; colour: string }>;

export type SeriesStyle = (typeof seriesStyles)[number];

/** The n-th series' look, repeating after the last. */
export function styleOf(index: number): SeriesStyle {
	return seriesStyles[index % seriesStyles.length] ?? seriesStyles[0];
}
