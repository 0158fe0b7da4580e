ALTER TABLE "gold_example" ADD COLUMN "pinned_at" timestamp with time zone;--> statement-breakpoint
-- Every approved edit of a model's reply is also a preference: the approved text over the
-- reply it was edited from. Marked with its source so datasets can include or leave it out.
CREATE VIEW "gold_preference" AS
SELECT g.id AS gold_example_id, p.persona_id, g.prompt_id, p.messages AS prompt_messages,
	rev.text AS chosen, c.text AS rejected, c.id AS rejected_candidate_id, c.model_version_id AS rejected_model_version_id,
	'gold_edit'::text AS source, review.created_at AS approved_at
FROM gold_example g
JOIN LATERAL (
	SELECT r.revision_id, r.created_at FROM gold_review r
	WHERE r.gold_example_id = g.id AND r.decision = 'approved' ORDER BY r.created_at DESC LIMIT 1
) review ON true
JOIN gold_revision rev ON rev.id = review.revision_id
JOIN candidate c ON c.id = g.source_candidate_id
JOIN prompt p ON p.id = g.prompt_id
WHERE g.status = 'approved' AND rev.text <> c.text;
