-- The ranking loop's hot path as PL/pgSQL, so one submit+next is one round
-- trip whose statements are planned once per connection (PL/pgSQL caches its
-- plans) instead of nine unprepared statements. The rules are the same as in
-- src/lib/server/queue: judgments + leases never exceed a pair's overlap, a
-- submit is recorded once per client id, a vote whose lease was reclaimed
-- counts only if the pair still has room. Errors carry SQLSTATEs the app maps:
-- CL404 gone, CL400 bad input (HINT names the field), CL409 conflict, CL410 lease lost.

-- Frees the slots of expired leases; bounded, skipping rows others hold.
CREATE FUNCTION rank_reclaim_expired(p_limit integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_freed integer;
BEGIN
	WITH expired AS (
		SELECT l.id FROM lease l WHERE l.expires_at < now() ORDER BY l.expires_at LIMIT p_limit FOR UPDATE SKIP LOCKED
	), gone AS (
		DELETE FROM lease USING expired WHERE lease.id = expired.id RETURNING lease.pair_id
	), freed AS (
		UPDATE pair SET lease_count = pair.lease_count - g.n
		FROM (SELECT gone.pair_id, count(*)::integer AS n FROM gone GROUP BY gone.pair_id) g
		WHERE pair.id = g.pair_id
		RETURNING g.n
	)
	SELECT coalesce(sum(freed.n), 0)::integer INTO v_freed FROM freed;
	RETURN v_freed;
END $$;
--> statement-breakpoint

-- The pairs an annotator should have in hand, with what the page shows of them:
-- live leases first (renewed past half their life), topped up to p_hold with
-- open pairs in queue order (priority, then oldest), each with a random left side.
CREATE FUNCTION rank_hand_out(p_annotator uuid, p_persona uuid, p_hold integer, p_minutes integer)
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
		)
		INSERT INTO lease (pair_id, annotator_id, left_candidate_id, expires_at)
		SELECT taken.id, p_annotator,
			CASE WHEN random() < 0.5 THEN taken.candidate_a_id ELSE taken.candidate_b_id END,
			now() + make_interval(mins => p_minutes)
		FROM taken;
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

-- Records one judgment, at most once per client id, turning the annotator's lease into a vote.
CREATE FUNCTION rank_submit(
	p_annotator uuid, p_client_id uuid, p_pair uuid, p_left uuid, p_preferred text,
	p_strength integer, p_rationale text, p_duration_ms integer
)
RETURNS TABLE (status text, judgment_id uuid, choice text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_a uuid;
	v_b uuid;
	v_choice text;
	v_id uuid;
	v_existing record;
	v_had_lease boolean;
BEGIN
	SELECT p.candidate_a_id, p.candidate_b_id INTO v_a, v_b FROM pair p WHERE p.id = p_pair;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'That pair no longer exists.' USING ERRCODE = 'CL404';
	END IF;
	IF p_left IS DISTINCT FROM v_a AND p_left IS DISTINCT FROM v_b THEN
		RAISE EXCEPTION 'leftCandidateId is not one of this pair''s candidates.' USING ERRCODE = 'CL400', HINT = 'leftCandidateId';
	END IF;
	v_choice := CASE p_preferred
		WHEN 'left' THEN CASE WHEN p_left = v_a THEN 'a' ELSE 'b' END
		WHEN 'right' THEN CASE WHEN p_left = v_a THEN 'b' ELSE 'a' END
		ELSE p_preferred END;
	INSERT INTO judgment (client_id, pair_id, annotator_id, choice, strength, left_candidate_id, duration_ms, rationale)
	VALUES (p_client_id, p_pair, p_annotator, v_choice,
		CASE WHEN v_choice IN ('a', 'b') THEN p_strength END, p_left, p_duration_ms, nullif(p_rationale, ''))
	ON CONFLICT DO NOTHING
	RETURNING id INTO v_id;
	IF v_id IS NULL THEN
		SELECT j.id, j.annotator_id, j.pair_id, j.choice INTO v_existing FROM judgment j WHERE j.client_id = p_client_id;
		IF FOUND AND v_existing.annotator_id = p_annotator AND v_existing.pair_id = p_pair THEN
			RETURN QUERY SELECT 'duplicate'::text, v_existing.id, v_existing.choice;
			RETURN;
		ELSIF FOUND THEN
			RAISE EXCEPTION 'This clientId belongs to another judgment.' USING ERRCODE = 'CL400', HINT = 'clientId';
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

-- Submit and the next pairs as one statement (one round trip, one commit):
-- every row carries the submit's outcome; pair columns are null when nothing is left to hand out.
CREATE FUNCTION rank_submit_and_hand_out(
	p_annotator uuid, p_persona uuid, p_client_id uuid, p_pair uuid, p_left uuid, p_preferred text,
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
	FROM rank_submit(p_annotator, p_client_id, p_pair, p_left, p_preferred, p_strength, p_rationale, p_duration_ms);
	RETURN QUERY
		SELECT v_submit.status, v_submit.judgment_id, v_submit.choice, h.*
		FROM (SELECT 1) one
		LEFT JOIN rank_hand_out(p_annotator, p_persona, p_hold, p_minutes) h ON true;
END $$;
