// Shapes the gold editor page and its endpoints share (browser-safe: no server imports).

export type GoldStatus = 'draft' | 'submitted' | 'changes_requested' | 'approved' | 'rejected';

export type GoldConflict = { latestRevision: number; latestText: string; yourText: string };

/** One gold example as its editor (or a reviewer reading it) sees it. */
export type GoldEditorView = {
	id: string;
	status: GoldStatus;
	/** True for the author while the example is a draft or was returned with changes requested. */
	editable: boolean;
	messages: Array<{ role: string; html: string }>;
	/** The model reply it was edited from; null when written from scratch. */
	source: { candidateId: string; text: string } | null;
	latest: { revision: number; text: string };
	latestReview: { decision: string; comment: string | null; createdAt: string } | null;
};
