CREATE TABLE "judgment_undo" (
	"client_id" uuid PRIMARY KEY NOT NULL,
	"annotator_id" uuid NOT NULL,
	"pair_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pair_handout" (
	"pair_id" uuid NOT NULL,
	"annotator_id" uuid NOT NULL,
	"left_candidate_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pair_handout_annotator_id_pair_id_pk" PRIMARY KEY("annotator_id","pair_id")
);
--> statement-breakpoint
ALTER TABLE "judgment_undo" ADD CONSTRAINT "judgment_undo_annotator_id_user_id_fk" FOREIGN KEY ("annotator_id") REFERENCES "public"."user"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "judgment_undo" ADD CONSTRAINT "judgment_undo_pair_id_pair_id_fk" FOREIGN KEY ("pair_id") REFERENCES "public"."pair"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pair_handout" ADD CONSTRAINT "pair_handout_pair_id_pair_id_fk" FOREIGN KEY ("pair_id") REFERENCES "public"."pair"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pair_handout" ADD CONSTRAINT "pair_handout_annotator_id_user_id_fk" FOREIGN KEY ("annotator_id") REFERENCES "public"."user"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Position data is the server's truth. Every pair handed to an annotator is
-- recorded in pair_handout with the side shown on the left, and kept after
-- its lease expires or is reclaimed; a judgment takes its left side from
-- there, never from the client, and is refused (CL409) on a pair never
-- handed to that annotator, one they skipped, or a client id they undid.
-- Leases live before this migration become hand-outs, so no vote in flight is lost.
INSERT INTO pair_handout (pair_id, annotator_id, left_candidate_id, created_at)
SELECT l.pair_id, l.annotator_id, l.left_candidate_id, l.created_at FROM lease l
ON CONFLICT DO NOTHING;
--> statement-breakpoint

-- As in 0002, and each new lease is recorded as a hand-out; a pair handed to
-- the same annotator again (their lease was reclaimed) keeps its side.
CREATE OR REPLACE FUNCTION rank_hand_out(p_annotator uuid, p_persona uuid, p_hold integer, p_minutes integer)
RETURNS TABLE (
	pair_id uuid, left_candidate_id uuid, expires_at timestamptz, domain text, messages jsonb,
	a_id uuid, a_text text, a_source text, a_finish_reason text,
	b_id uuid, b_text text, b_source text, b_finish_reason text
)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_held integer;
BEGIN
	PERFORM rank_reclaim_expired(500);
	UPDATE lease l SET expires_at = now() + make_interval(mins => p_minutes)
	FROM pair p
	WHERE p.id = l.pair_id AND p.persona_id = p_persona AND l.annotator_id = p_annotator
		AND l.expires_at > now() AND l.expires_at < now() + make_interval(mins => p_minutes) / 2;
	SELECT count(*) INTO v_held
	FROM lease l JOIN pair p ON p.id = l.pair_id
	WHERE l.annotator_id = p_annotator AND p.persona_id = p_persona AND l.expires_at > now();
	IF v_held < p_hold THEN
		WITH picked AS (
			SELECT p.id FROM pair p
			WHERE p.persona_id = p_persona
				AND p.judgment_count + p.lease_count < p.overlap
				AND NOT EXISTS (SELECT 1 FROM judgment j WHERE j.pair_id = p.id AND j.annotator_id = p_annotator)
				AND NOT EXISTS (SELECT 1 FROM lease x WHERE x.pair_id = p.id AND x.annotator_id = p_annotator)
				AND NOT EXISTS (SELECT 1 FROM pair_skip s WHERE s.pair_id = p.id AND s.annotator_id = p_annotator)
			ORDER BY p.priority DESC NULLS LAST, p.created_at, p.id
			LIMIT p_hold - v_held
			FOR UPDATE OF p SKIP LOCKED
		), taken AS (
			UPDATE pair SET lease_count = pair.lease_count + 1
			FROM picked WHERE pair.id = picked.id
			RETURNING pair.id, pair.candidate_a_id, pair.candidate_b_id
		), sided AS (
			-- referenced twice, so materialised: random() is drawn once per pair
			SELECT taken.id, coalesce(h.left_candidate_id,
				CASE WHEN random() < 0.5 THEN taken.candidate_a_id ELSE taken.candidate_b_id END) AS left_id
			FROM taken LEFT JOIN pair_handout h ON h.pair_id = taken.id AND h.annotator_id = p_annotator
		), handed AS (
			INSERT INTO pair_handout (pair_id, annotator_id, left_candidate_id)
			SELECT sided.id, p_annotator, sided.left_id FROM sided
			ON CONFLICT DO NOTHING
		)
		INSERT INTO lease (pair_id, annotator_id, left_candidate_id, expires_at)
		SELECT sided.id, p_annotator, sided.left_id, now() + make_interval(mins => p_minutes)
		FROM sided;
	END IF;
	RETURN QUERY
		SELECT l.pair_id, l.left_candidate_id, l.expires_at, pr.domain, pr.messages,
			ca.id, ca.text, ca.source, ca.finish_reason, cb.id, cb.text, cb.source, cb.finish_reason
		FROM lease l
		JOIN pair p ON p.id = l.pair_id
		JOIN prompt pr ON pr.id = p.prompt_id
		JOIN candidate ca ON ca.id = p.candidate_a_id
		JOIN candidate cb ON cb.id = p.candidate_b_id
		WHERE l.annotator_id = p_annotator AND p.persona_id = p_persona AND l.expires_at > now()
		-- the order they were handed out in: by lease, then as the queue orders pairs
		ORDER BY l.created_at, p.priority DESC NULLS LAST, p.created_at, p.id;
END $$;
--> statement-breakpoint

-- The client no longer says which side was on the left: the versions that took it go.
DROP FUNCTION rank_submit_and_hand_out(uuid, uuid, uuid, uuid, uuid, text, integer, text, integer, integer, integer);
--> statement-breakpoint
DROP FUNCTION rank_submit(uuid, uuid, uuid, uuid, text, integer, text, integer);
--> statement-breakpoint

-- Records one judgment, at most once per client id, on a pair handed to this
-- annotator, with the left side of that hand-out; turns their lease into a vote.
CREATE FUNCTION rank_submit(
	p_annotator uuid, p_client_id uuid, p_pair uuid, p_preferred text,
	p_strength integer, p_rationale text, p_duration_ms integer
)
RETURNS TABLE (status text, judgment_id uuid, choice text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_a uuid;
	v_b uuid;
	v_left uuid;
	v_skipped boolean;
	v_undone boolean;
	v_choice text;
	v_id uuid;
	v_existing record;
	v_had_lease boolean;
BEGIN
	SELECT p.candidate_a_id, p.candidate_b_id INTO v_a, v_b FROM pair p WHERE p.id = p_pair;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'That pair no longer exists.' USING ERRCODE = 'CL404';
	END IF;
	SELECT h.left_candidate_id INTO v_left FROM pair_handout h WHERE h.annotator_id = p_annotator AND h.pair_id = p_pair;
	v_skipped := EXISTS (SELECT 1 FROM pair_skip s WHERE s.annotator_id = p_annotator AND s.pair_id = p_pair);
	v_undone := EXISTS (SELECT 1 FROM judgment_undo u WHERE u.client_id = p_client_id);
	IF v_left IS NOT NULL AND NOT v_skipped AND NOT v_undone THEN
		v_choice := CASE p_preferred
			WHEN 'left' THEN CASE WHEN v_left = v_a THEN 'a' ELSE 'b' END
			WHEN 'right' THEN CASE WHEN v_left = v_a THEN 'b' ELSE 'a' END
			ELSE p_preferred END;
		INSERT INTO judgment (client_id, pair_id, annotator_id, choice, strength, left_candidate_id, duration_ms, rationale)
		VALUES (p_client_id, p_pair, p_annotator, v_choice,
			CASE WHEN v_choice IN ('a', 'b') THEN p_strength END, v_left, p_duration_ms, nullif(p_rationale, ''))
		ON CONFLICT DO NOTHING
		RETURNING id INTO v_id;
	END IF;
	IF v_id IS NULL THEN
		-- a retry (or the same submit twice at once) answers what the first one stored, whatever happened since
		SELECT j.id, j.annotator_id, j.pair_id, j.choice INTO v_existing FROM judgment j WHERE j.client_id = p_client_id;
		IF FOUND AND v_existing.annotator_id = p_annotator AND v_existing.pair_id = p_pair THEN
			RETURN QUERY SELECT 'duplicate'::text, v_existing.id, v_existing.choice;
			RETURN;
		ELSIF FOUND THEN
			RAISE EXCEPTION 'This clientId belongs to another judgment.' USING ERRCODE = 'CL400', HINT = 'clientId';
		ELSIF v_undone THEN
			RAISE EXCEPTION 'You undid this judgment, so it is not recorded again; judge the pair afresh.' USING ERRCODE = 'CL409';
		ELSIF v_left IS NULL THEN
			RAISE EXCEPTION 'This pair was never handed to you, so your judgment of it is not recorded.' USING ERRCODE = 'CL409';
		ELSIF v_skipped THEN
			RAISE EXCEPTION 'You skipped this pair, so your judgment of it is not recorded.' USING ERRCODE = 'CL409';
		END IF;
		RAISE EXCEPTION 'You have already judged this pair.' USING ERRCODE = 'CL409';
	END IF;
	DELETE FROM lease l WHERE l.pair_id = p_pair AND l.annotator_id = p_annotator;
	v_had_lease := FOUND;
	UPDATE pair p SET
		lease_count = p.lease_count - CASE WHEN v_had_lease THEN 1 ELSE 0 END,
		judgment_count = p.judgment_count + 1
	WHERE p.id = p_pair AND (v_had_lease OR p.judgment_count + p.lease_count < p.overlap);
	IF NOT FOUND THEN
		RAISE EXCEPTION 'Your hold on this pair expired and it was judged by others in the meantime, so this judgment was not needed.'
			USING ERRCODE = 'CL410';
	END IF;
	RETURN QUERY SELECT 'recorded'::text, v_id, v_choice;
END $$;
--> statement-breakpoint

-- Submit and the next pairs as one statement (one round trip, one commit), as in 0002.
CREATE FUNCTION rank_submit_and_hand_out(
	p_annotator uuid, p_persona uuid, p_client_id uuid, p_pair uuid, p_preferred text,
	p_strength integer, p_rationale text, p_duration_ms integer, p_hold integer, p_minutes integer
)
RETURNS TABLE (
	status text, judgment_id uuid, choice text,
	pair_id uuid, left_candidate_id uuid, expires_at timestamptz, domain text, messages jsonb,
	a_id uuid, a_text text, a_source text, a_finish_reason text,
	b_id uuid, b_text text, b_source text, b_finish_reason text
)
LANGUAGE plpgsql AS $$
DECLARE
	v_submit record;
BEGIN
	SELECT * INTO v_submit
	FROM rank_submit(p_annotator, p_client_id, p_pair, p_preferred, p_strength, p_rationale, p_duration_ms);
	RETURN QUERY
		SELECT v_submit.status, v_submit.judgment_id, v_submit.choice, h.*
		FROM (SELECT 1) one
		LEFT JOIN rank_hand_out(p_annotator, p_persona, p_hold, p_minutes) h ON true;
END $$;
