ALTER TABLE "candidate" DROP CONSTRAINT "candidate_source_check";--> statement-breakpoint
ALTER TABLE "model_version" DROP CONSTRAINT "model_version_kind_check";--> statement-breakpoint
DROP INDEX "pair_open_idx";--> statement-breakpoint
ALTER TABLE "candidate" ADD COLUMN "gold_revision_id" uuid;--> statement-breakpoint
ALTER TABLE "candidate" ADD CONSTRAINT "candidate_gold_revision_id_gold_revision_id_fk" FOREIGN KEY ("gold_revision_id") REFERENCES "public"."gold_revision"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "candidate_gold_revision_unique" ON "candidate" USING btree ("gold_revision_id") WHERE "candidate"."gold_revision_id" is not null;--> statement-breakpoint
CREATE INDEX "pair_check_idx" ON "pair" USING btree ("persona_id") WHERE "pair"."known_answer" is not null;--> statement-breakpoint
CREATE INDEX "pair_open_idx" ON "pair" USING btree ("persona_id","priority" DESC NULLS LAST,"created_at","id") WHERE "pair"."judgment_count" + "pair"."lease_count" < "pair"."overlap" and "pair"."known_answer" is null;--> statement-breakpoint
ALTER TABLE "candidate" ADD CONSTRAINT "candidate_source_check" CHECK ("candidate"."source" in ('sampled', 'imported', 'demo', 'gold_edit'));--> statement-breakpoint
ALTER TABLE "model_version" ADD CONSTRAINT "model_version_human_never_current" CHECK ("model_version"."kind" <> 'human' or "model_version"."status" <> 'current');--> statement-breakpoint
ALTER TABLE "model_version" ADD CONSTRAINT "model_version_kind_check" CHECK ("model_version"."kind" in ('endpoint', 'demo_pool', 'human'));--> statement-breakpoint

-- Gold checks (issue 12). A pair with a known answer is a check: handed to
-- every annotator once, at the persona's rate, outside the overlap counters
-- (which stay 0 while it is a check, so the CHECK on them holds whatever the
-- number of annotators). Pairs the demo seed marked before this migration were
-- counted as regular ones: they become checks now, their counters cleared.
UPDATE pair SET judgment_count = 0, lease_count = 0 WHERE known_answer IS NOT NULL;
--> statement-breakpoint

-- As in 0002, but only a regular pair's slots are counted; returns the leases
-- removed (checks included), so a caller looping "until nothing is reclaimed" stops only when none is left.
CREATE OR REPLACE FUNCTION rank_reclaim_expired(p_limit integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_gone integer;
BEGIN
	WITH expired AS (
		SELECT l.id FROM lease l WHERE l.expires_at < now() ORDER BY l.expires_at LIMIT p_limit FOR UPDATE SKIP LOCKED
	), gone AS (
		DELETE FROM lease USING expired WHERE lease.id = expired.id RETURNING lease.pair_id
	), freed AS (
		UPDATE pair SET lease_count = pair.lease_count - g.n
		FROM (SELECT gone.pair_id, count(*)::integer AS n FROM gone GROUP BY gone.pair_id) g
		WHERE pair.id = g.pair_id AND pair.known_answer IS NULL
	)
	SELECT count(*)::integer INTO v_gone FROM gone;
	RETURN v_gone;
END $$;
--> statement-breakpoint

-- Hands one check to an annotator: one they were never handed (so never twice),
-- never judged and never skipped, drawn at random among the persona's checks.
-- No counter moves; the hand-out row makes "at most once" hold for good.
CREATE FUNCTION rank_hand_out_check(p_annotator uuid, p_persona uuid, p_minutes integer) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	v_pair record;
	v_left uuid;
BEGIN
	SELECT p.id, p.candidate_a_id, p.candidate_b_id INTO v_pair FROM pair p
	WHERE p.persona_id = p_persona AND p.known_answer IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM pair_handout h WHERE h.pair_id = p.id AND h.annotator_id = p_annotator)
		AND NOT EXISTS (SELECT 1 FROM judgment j WHERE j.pair_id = p.id AND j.annotator_id = p_annotator)
		AND NOT EXISTS (SELECT 1 FROM pair_skip s WHERE s.pair_id = p.id AND s.annotator_id = p_annotator)
	ORDER BY random() LIMIT 1;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	v_left := CASE WHEN random() < 0.5 THEN v_pair.candidate_a_id ELSE v_pair.candidate_b_id END;
	-- a second tab of the same annotator may have drawn the same check a moment ago: theirs stands
	INSERT INTO pair_handout (pair_id, annotator_id, left_candidate_id) VALUES (v_pair.id, p_annotator, v_left)
	ON CONFLICT DO NOTHING;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	INSERT INTO lease (pair_id, annotator_id, left_candidate_id, expires_at)
	VALUES (v_pair.id, p_annotator, v_left, now() + make_interval(mins => p_minutes))
	ON CONFLICT DO NOTHING;
	RETURN true;
END $$;
--> statement-breakpoint

DROP FUNCTION rank_submit_and_hand_out(uuid, uuid, uuid, uuid, text, integer, text, integer, integer, integer);
--> statement-breakpoint
DROP FUNCTION rank_hand_out(uuid, uuid, integer, integer);
--> statement-breakpoint

-- As in 0007, with checks mixed in: each new slot is a check with probability
-- 1 / p_check_every (0 = never), decided per slot so the rate holds whatever the
-- hold size. A slot whose draw finds no check left for this annotator takes a
-- regular pair, and a slot that drew "regular" never takes a check, so checks
-- come at the rate or below it, never above it. Once no regular pair is left for
-- the annotator no check is handed either: a pair turning up after the queue
-- ran dry would give itself away.
-- Regular pairs are picked exactly as before, checks left out.
-- A gold edit's candidate shows the source of the reply it was edited from, so
-- nothing the page receives tells a check from a regular pair.
CREATE FUNCTION rank_hand_out(p_annotator uuid, p_persona uuid, p_hold integer, p_minutes integer, p_check_every integer)
RETURNS TABLE (
	pair_id uuid, left_candidate_id uuid, expires_at timestamptz, domain text, messages jsonb,
	a_id uuid, a_text text, a_source text, a_finish_reason text,
	b_id uuid, b_text text, b_source text, b_finish_reason text
)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_held integer;
	v_regular integer := 0;
	v_open boolean;
BEGIN
	PERFORM rank_reclaim_expired(500);
	UPDATE lease l SET expires_at = now() + make_interval(mins => p_minutes)
	FROM pair p
	WHERE p.id = l.pair_id AND p.persona_id = p_persona AND l.annotator_id = p_annotator
		AND l.expires_at > now() AND l.expires_at < now() + make_interval(mins => p_minutes) / 2;
	SELECT count(*) INTO v_held
	FROM lease l JOIN pair p ON p.id = l.pair_id
	WHERE l.annotator_id = p_annotator AND p.persona_id = p_persona AND l.expires_at > now();
	FOR v_slot IN 1 .. greatest(p_hold - v_held, 0) LOOP
		IF p_check_every > 0 AND random() * p_check_every < 1 THEN
			-- asked once per call, and only when a slot drew a check (one in N): the hot path stays as it was
			v_open := coalesce(v_open, EXISTS (
				SELECT 1 FROM pair p
				WHERE p.persona_id = p_persona
					AND p.judgment_count + p.lease_count < p.overlap
					AND p.known_answer IS NULL
					AND NOT EXISTS (SELECT 1 FROM judgment j WHERE j.pair_id = p.id AND j.annotator_id = p_annotator)
					AND NOT EXISTS (SELECT 1 FROM lease x WHERE x.pair_id = p.id AND x.annotator_id = p_annotator)
					AND NOT EXISTS (SELECT 1 FROM pair_skip s WHERE s.pair_id = p.id AND s.annotator_id = p_annotator)));
			CONTINUE WHEN v_open AND rank_hand_out_check(p_annotator, p_persona, p_minutes);
		END IF;
		v_regular := v_regular + 1;
	END LOOP;
	IF v_regular > 0 THEN
		WITH picked AS (
			SELECT p.id FROM pair p
			WHERE p.persona_id = p_persona
				AND p.judgment_count + p.lease_count < p.overlap
				AND p.known_answer IS NULL
				AND NOT EXISTS (SELECT 1 FROM judgment j WHERE j.pair_id = p.id AND j.annotator_id = p_annotator)
				AND NOT EXISTS (SELECT 1 FROM lease x WHERE x.pair_id = p.id AND x.annotator_id = p_annotator)
				AND NOT EXISTS (SELECT 1 FROM pair_skip s WHERE s.pair_id = p.id AND s.annotator_id = p_annotator)
			ORDER BY p.priority DESC NULLS LAST, p.created_at, p.id
			LIMIT v_regular
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
			ca.id, ca.text, CASE WHEN ca.source = 'gold_edit' THEN cb.source ELSE ca.source END, ca.finish_reason,
			cb.id, cb.text, CASE WHEN cb.source = 'gold_edit' THEN ca.source ELSE cb.source END, cb.finish_reason
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

-- As in 0007; a check's judgment is always recorded (it has no overlap to
-- respect) and moves no counter. The pair row is updated either way, so a
-- concurrent mark/unmark (which locks it) sees this judgment.
CREATE OR REPLACE FUNCTION rank_submit(
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
		lease_count = p.lease_count - CASE WHEN v_had_lease AND p.known_answer IS NULL THEN 1 ELSE 0 END,
		judgment_count = p.judgment_count + CASE WHEN p.known_answer IS NULL THEN 1 ELSE 0 END
	WHERE p.id = p_pair AND (p.known_answer IS NOT NULL OR v_had_lease OR p.judgment_count + p.lease_count < p.overlap);
	IF NOT FOUND THEN
		RAISE EXCEPTION 'Your hold on this pair expired and it was judged by others in the meantime, so this judgment was not needed.'
			USING ERRCODE = 'CL410';
	END IF;
	RETURN QUERY SELECT 'recorded'::text, v_id, v_choice;
END $$;
--> statement-breakpoint

-- Submit and the next pairs as one statement (one round trip, one commit), as in 0007, with the check rate.
CREATE FUNCTION rank_submit_and_hand_out(
	p_annotator uuid, p_persona uuid, p_client_id uuid, p_pair uuid, p_preferred text,
	p_strength integer, p_rationale text, p_duration_ms integer, p_hold integer, p_minutes integer, p_check_every integer
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
		LEFT JOIN rank_hand_out(p_annotator, p_persona, p_hold, p_minutes, p_check_every) h ON true;
END $$;
