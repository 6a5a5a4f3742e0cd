-- The task's annotation columns, each written by one statement that reads the row it changes.
-- The JSON columns are `json` (RoboCo's type). The three work-log appends splice the new entry
-- into the stored text, so the entries already there stay byte for byte (even ones jsonb would
-- refuse, such as a \u0000 escape); the merges (plan, notes, markers, documents) go through
-- jsonb and back. A document RoboCo left that is not of the column's kind (an array for a
-- list, an object for a map) counts as empty, as RoboCo's accessors treat it. Each write is
-- `col = f(col)` on the row the UPDATE locks (or reads FOR UPDATE first), so concurrent
-- writers never lose each other's entries: READ COMMITTED re-reads a row another writer
-- changed before applying the expression. Every write stamps updated_at, as RoboCo's ORM does
-- on each flush. No row back = no such task.

-- name: append_progress :one
-- Append one progress entry (RoboCo's add_progress).
UPDATE tasks
SET progress_updates = CASE
        WHEN coalesce(json_typeof(progress_updates), '') <> 'array' THEN json_build_array(:entry::json)
        WHEN json_array_length(progress_updates) = 0 THEN json_build_array(:entry::json)
        ELSE (left(rtrim(progress_updates::text, E' \t\n\r'), -1) || ', ' || :entry::text
              || ']')::json END,
    updated_at = :now::timestamptz
WHERE id = :id
RETURNING
    {{tasks}};

-- name: append_checkpoint :one
-- Append one checkpoint; its id is the uuid whose integer is the number of checkpoints before
-- it (0, 1, ...), as RoboCo numbers them, taken from the row being written.
UPDATE tasks
SET checkpoints = CASE
        WHEN coalesce(json_typeof(checkpoints), '') <> 'array'
        THEN json_build_array(jsonb_build_object('id', '00000000-0000-0000-0000-000000000000')
                              || :entry::jsonb)
        WHEN json_array_length(checkpoints) = 0
        THEN json_build_array(jsonb_build_object('id', '00000000-0000-0000-0000-000000000000')
                              || :entry::jsonb)
        ELSE (left(rtrim(checkpoints::text, E' \t\n\r'), -1) || ', '
              || (jsonb_build_object('id', lpad(to_hex(json_array_length(checkpoints)), 32,
                                                '0')::uuid::text)
                  || :entry::jsonb)::text
              || ']')::json END,
    updated_at = :now::timestamptz
WHERE id = :id
RETURNING
    {{tasks}};

-- name: append_commit :one
-- Append one commit reference (RoboCo's add_commit).
UPDATE tasks
SET commits = CASE
        WHEN coalesce(json_typeof(commits), '') <> 'array' THEN json_build_array(:entry::json)
        WHEN json_array_length(commits) = 0 THEN json_build_array(:entry::json)
        ELSE (left(rtrim(commits::text, E' \t\n\r'), -1) || ', ' || :entry::text
              || ']')::json END,
    updated_at = :now::timestamptz
WHERE id = :id
RETURNING
    {{tasks}};

-- name: record_plan_progress :one
-- RoboCo's record_plan_progress in one statement: mark the plan step :plan_step completed (the
-- first sub_task whose id, order or 1-based position among the object sub_tasks reads as it;
-- the plan is rewritten only when one matches), then append a progress entry whose percentage
-- is completed/total of the checklist, rounded half to even as Python's round does
-- (float8 round), or :fallback when the plan has no checklist.
WITH cur AS (
    SELECT t.id,
           CASE WHEN json_typeof(t.plan) = 'object' THEN t.plan::jsonb
                ELSE '{}'::jsonb END AS plan
      FROM tasks AS t
     WHERE t.id = :id
       FOR UPDATE
),
steps AS (
    SELECT s.step, row_number() OVER (ORDER BY s.raw) AS pos
      FROM cur AS c,
           jsonb_array_elements(CASE WHEN jsonb_typeof(c.plan -> 'sub_tasks') = 'array'
                                     THEN c.plan -> 'sub_tasks' ELSE '[]'::jsonb END)
               WITH ORDINALITY AS s(step, raw)
     WHERE jsonb_typeof(s.step) = 'object'
),
hit AS (
    SELECT min(s.pos) AS pos
      FROM steps AS s
     WHERE :plan_step::text IN (coalesce(s.step ->> 'id', 'None'),
                                coalesce(s.step ->> 'order', 'None'),
                                s.pos::text)
),
tally AS (
    SELECT coalesce(jsonb_agg(CASE WHEN s.pos = h.pos
                                   THEN s.step || '{"completed": true}'::jsonb
                                   ELSE s.step END ORDER BY s.pos), '[]'::jsonb) AS sub_tasks,
           count(s.pos) AS total,
           count(s.pos) FILTER (
               WHERE s.pos = h.pos
                  OR coalesce(s.step -> 'completed' NOT IN {{> falsy_jsonb}}, false)) AS done,
           h.pos AS hit
      FROM hit AS h
      LEFT JOIN steps AS s ON true
     GROUP BY h.pos
)
UPDATE tasks AS t
SET plan = CASE WHEN g.hit IS NOT NULL
                THEN (c.plan || jsonb_build_object('sub_tasks', g.sub_tasks))::json
                ELSE t.plan END,
    progress_updates = (CASE WHEN json_typeof(t.progress_updates) = 'array'
                             THEN t.progress_updates::jsonb ELSE '[]'::jsonb END
                        || jsonb_build_array(
                               :entry::jsonb
                               || jsonb_build_object(
                                      'percentage',
                                      CASE WHEN g.total = 0 THEN :fallback::integer
                                           ELSE round(g.done::float8 / g.total::float8
                                                      * 100)::integer END)))::json,
    updated_at = :now::timestamptz
FROM cur AS c, tally AS g
WHERE t.id = c.id
RETURNING
    {{t.tasks}};

-- name: set_plan :one
-- Write the plan, except that a stored plan with an approach is never replaced by one without
-- (RoboCo's set_plan: a re-entry claim must not blank the authored plan); kept, the row is not
-- written at all, updated_at included.
UPDATE tasks
SET plan = CASE WHEN json_typeof(plan) = 'object'
                     AND coalesce(plan::jsonb -> 'approach' NOT IN {{> falsy_jsonb}}, false)
                     AND NOT coalesce(:plan::jsonb -> 'approach' NOT IN {{> falsy_jsonb}},
                                  false)
                THEN plan ELSE :plan::json END,
    updated_at = CASE WHEN json_typeof(plan) = 'object'
                           AND coalesce(plan::jsonb -> 'approach' NOT IN {{> falsy_jsonb}},
                                        false)
                           AND NOT coalesce(:plan::jsonb -> 'approach' NOT IN {{> falsy_jsonb}},
                                            false)
                      THEN updated_at ELSE :now::timestamptz END
WHERE id = :id
RETURNING
    {{tasks}};

-- name: record_section_note :one
-- Store one structured note section under notes_structured[:section] (replacing that section
-- only; the others stay) and its rendered text in the section's mirror column :mirror (NULL:
-- the section has none), in one write, as RoboCo's apply_structured_note.
UPDATE tasks AS t
SET notes_structured = ((CASE WHEN json_typeof(t.notes_structured) = 'object'
                              THEN t.notes_structured::jsonb ELSE '{}'::jsonb END)
                        || jsonb_build_object(:section::text, :body::jsonb))::json,
    {{> note_column_set}},
    updated_at = :now::timestamptz
FROM (SELECT :mirror::text AS col, :rendered::text AS body) AS n
WHERE t.id = :id
RETURNING
    {{t.tasks}};

-- name: set_acceptance_criteria_status :one
-- Replace the per-criterion status list whole (RoboCo's set_acceptance_criteria_status).
UPDATE tasks
SET acceptance_criteria_status = :status::json,
    updated_at = :now::timestamptz
WHERE id = :id
RETURNING
    {{tasks}};

-- name: mark_evidence_inspected :one
-- QA looked at the evidence: qa_evidence_inspected = true.
UPDATE tasks
SET qa_evidence_inspected = true,
    updated_at = :now::timestamptz
WHERE id = :id
RETURNING
    {{tasks}};

-- name: mark_board_review_complete :scalar
-- Flag a board task reviewed, once: a row back only when this call flipped the flag (no row =
-- already set, or no such task), as RoboCo's mark_board_review_complete answers.
UPDATE tasks
SET board_review_complete = true,
    updated_at = :now::timestamptz
WHERE id = :id
  AND NOT board_review_complete
RETURNING id;

-- name: set_proactive_context :scalar
-- Store the knowledge gathered after a claim, only while :agent_id still owns the task (RoboCo's
-- confirm-after-commit guard: a rolled-back or moved claim gets nothing). No row = skipped.
UPDATE tasks
SET proactive_context = :context::json,
    updated_at = :now::timestamptz
WHERE id = :id
  AND assigned_to = :agent_id::uuid
RETURNING id;

-- name: attach_document :one
-- Put a document reference in documents: it replaces the first entry with the same path, or is
-- appended when none has it (RoboCo's _add_doc_to_task). The row is read locked, so the list
-- merged into is the latest one.
WITH cur AS (
    SELECT t.id,
           CASE WHEN json_typeof(t.documents) = 'array' THEN t.documents::jsonb
                ELSE '[]'::jsonb END AS docs
      FROM tasks AS t
     WHERE t.id = :id
       FOR UPDATE
),
items AS (
    SELECT d.doc, d.pos
      FROM cur AS c, jsonb_array_elements(c.docs) WITH ORDINALITY AS d(doc, pos)
),
first_match AS (
    SELECT min(i.pos) AS pos FROM items AS i WHERE i.doc ->> 'path' = :path::text
),
merged AS (
    SELECT CASE WHEN f.pos IS NULL THEN c.docs || jsonb_build_array(:doc::jsonb)
                ELSE (SELECT jsonb_agg(CASE WHEN i.pos = f.pos THEN :doc::jsonb ELSE i.doc END
                                       ORDER BY i.pos)
                        FROM items AS i)
           END AS docs
      FROM cur AS c, first_match AS f
)
UPDATE tasks AS t
SET documents = m.docs::json,
    updated_at = :now::timestamptz
FROM cur AS c, merged AS m
WHERE t.id = c.id
RETURNING
    {{t.tasks}};

-- name: set_markers :one
-- Set orchestration markers: each key of :markers replaces that key's value, the other keys stay.
UPDATE tasks
SET orchestration_markers = ((CASE WHEN json_typeof(orchestration_markers) = 'object'
                                   THEN orchestration_markers::jsonb ELSE '{}'::jsonb END)
                             || :markers::jsonb)::json,
    updated_at = :now::timestamptz
WHERE id = :id
RETURNING
    {{tasks}};

-- name: clear_markers :one
-- Remove the marker keys :keys. A task holding none of them is not written at all (updated_at
-- included); removing the last key leaves the column NULL, as RoboCo's clear_marker does.
UPDATE tasks
SET orchestration_markers = CASE
        WHEN json_typeof(orchestration_markers) = 'object'
             AND orchestration_markers::jsonb ?| :keys::text[]
        THEN nullif(orchestration_markers::jsonb - :keys::text[], '{}'::jsonb)::json
        ELSE orchestration_markers END,
    updated_at = CASE
        WHEN json_typeof(orchestration_markers) = 'object'
             AND orchestration_markers::jsonb ?| :keys::text[]
        THEN :now::timestamptz ELSE updated_at END
WHERE id = :id
RETURNING
    {{tasks}};

-- name: set_transition_note :one
-- Set the note of one lifecycle event inside the transition_notes marker, keeping the notes of
-- the other events.
WITH cur AS ({{> locked_markers}}),
patch AS (
    SELECT c.id, c.om,
           jsonb_build_object('transition_notes',
                              CASE WHEN jsonb_typeof(c.om -> 'transition_notes') = 'object'
                                   THEN c.om -> 'transition_notes' ELSE '{}'::jsonb END
                              || jsonb_build_object(:event::text, :note::text)) AS patch
      FROM cur AS c
)
{{> markers_patched}}
RETURNING
    {{t.tasks}};

-- name: bump_block_flip_count :scalar
-- Count one more block/unblock flip: block_flip_count.count + 1 (a count that is not an integer
-- reads as 0), its notified flag kept; the new count. No row = no such task.
WITH cur AS ({{> locked_markers}}),
was AS (
    SELECT c.id, c.om,
           {{> flip_count}} + 1 AS count,
           coalesce(c.om -> 'block_flip_count' -> 'notified' NOT IN {{> falsy_jsonb}}, false)
               AS notified
      FROM cur AS c
),
patch AS (
    SELECT w.id, w.om, w.count,
           jsonb_build_object('block_flip_count',
                              jsonb_build_object('count', w.count, 'notified', w.notified))
               AS patch
      FROM was AS w
)
{{> markers_patched}}
RETURNING p.count;

-- name: mark_block_flip_notified :one
-- Note that the CEO was alerted about the block/unblock flips: notified true, count kept.
WITH cur AS ({{> locked_markers}}),
patch AS (
    SELECT c.id, c.om,
           jsonb_build_object('block_flip_count',
                              jsonb_build_object('count', {{> flip_count}}, 'notified', true))
               AS patch
      FROM cur AS c
)
{{> markers_patched}}
RETURNING
    {{t.tasks}};

-- name: bump_oscillation_strikes :scalar
-- Record one escalate/unblock round trip against the progress fingerprint :fp: strikes + 1 when
-- the stored fingerprint is absent or equal, else back to 1 (something moved); tripped kept.
-- The new strike count. No row = no such task.
WITH cur AS ({{> locked_markers}}),
was AS (
    SELECT c.id, c.om,
           {{> oscillation_strikes}} AS strikes,
           CASE WHEN jsonb_typeof(c.om -> 'oscillation_strikes' -> 'progress_fp') = 'array'
                THEN c.om -> 'oscillation_strikes' -> 'progress_fp' END AS fp,
           coalesce(c.om -> 'oscillation_strikes' -> 'tripped' NOT IN {{> falsy_jsonb}}, false)
               AS tripped
      FROM cur AS c
),
next AS (
    SELECT w.id, w.om, w.tripped,
           CASE WHEN w.fp IS NULL OR w.fp = :fp::jsonb THEN w.strikes + 1 ELSE 1 END AS strikes
      FROM was AS w
),
patch AS (
    SELECT n.id, n.om, n.strikes,
           jsonb_build_object('oscillation_strikes',
                              jsonb_build_object('strikes', n.strikes, 'progress_fp', :fp::jsonb,
                                                 'tripped', n.tripped)) AS patch
      FROM next AS n
)
{{> markers_patched}}
RETURNING p.strikes;

-- name: mark_oscillation_tripped :one
-- Trip the escalate/unblock breaker: tripped true, strikes and fingerprint kept (an absent
-- fingerprint is written as []).
WITH cur AS ({{> locked_markers}}),
patch AS (
    SELECT c.id, c.om,
           jsonb_build_object(
               'oscillation_strikes',
               jsonb_build_object(
                   'strikes', {{> oscillation_strikes}},
                   'progress_fp',
                   CASE WHEN jsonb_typeof(c.om -> 'oscillation_strikes' -> 'progress_fp')
                             = 'array'
                        THEN c.om -> 'oscillation_strikes' -> 'progress_fp'
                        ELSE '[]'::jsonb END,
                   'tripped', true)) AS patch
      FROM cur AS c
)
{{> markers_patched}}
RETURNING
    {{t.tasks}};

-- name: mark_stalled :one
-- Mark the task stalled: why the dispatcher gave up respawning it, and since when (now, even
-- when it was already marked), as RoboCo's mark_stalled.
UPDATE tasks
SET stalled_reason = :reason::varchar,
    stalled_since = :now::timestamptz,
    updated_at = :now::timestamptz
WHERE id = :id
RETURNING
    {{tasks}};

-- name: clear_stalled :scalar
-- Clear the stalled mark on forward progress; only a marked task is written (a row back = it
-- was marked and is cleared now).
UPDATE tasks
SET stalled_reason = NULL,
    stalled_since = NULL,
    updated_at = :now::timestamptz
WHERE id = :id
  AND stalled_reason IS NOT NULL
RETURNING id;

-- name: append_note :one
-- Add text to one of the task's text note columns (:column), reading the row locked. With a
-- :cap, as RoboCo's capped append: the stored text, trimmed, and the addition are joined by a
-- blank line, and past :cap characters the oldest text goes, :mark saying so. Without one, the
-- addition is concatenated as it is.
WITH cur AS (
    SELECT t.id,
           CASE :column::text
               WHEN 'dev_notes' THEN t.dev_notes
               WHEN 'qa_notes' THEN t.qa_notes
               WHEN 'auditor_notes' THEN t.auditor_notes
               WHEN 'doc_notes' THEN t.doc_notes
               WHEN 'pr_reviewer_notes' THEN t.pr_reviewer_notes
               WHEN 'quick_context' THEN t.quick_context
               WHEN 'pm_notes' THEN t.pm_notes
           END AS old
      FROM tasks AS t
     WHERE t.id = :id
       FOR UPDATE
),
joined AS (
    SELECT c.id,
           CASE WHEN :cap::integer IS NULL THEN coalesce(c.old, '') || :addition::text
                WHEN btrim(coalesce(c.old, ''), E' \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f') = ''
                THEN :addition::text
                ELSE btrim(c.old, E' \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f') || E'\n\n'
                     || :addition::text
           END AS body
      FROM cur AS c
),
capped AS (
    SELECT j.id, :column::text AS col,
           CASE WHEN :cap::integer IS NULL OR char_length(j.body) <= :cap::integer THEN j.body
                ELSE :mark::text || right(j.body, :cap::integer - char_length(:mark::text))
           END AS body
      FROM joined AS j
)
UPDATE tasks AS t
SET {{> note_column_set}},
    updated_at = :now::timestamptz
FROM capped AS n
WHERE t.id = n.id
RETURNING
    {{t.tasks}};

-- name: mark_supersede_pr_closed :one
-- Record that a landed supersede's contributor PR is closed: the token closed=1 is added to
-- the external_pr_supersede marker line once (a marker already holding it is not written).
WITH cur AS ({{> locked_markers}}),
marker AS (
    SELECT c.id, c.om, coalesce(c.om ->> 'external_pr_supersede', '') AS line
      FROM cur AS c
),
plan AS (
    SELECT m.id, m.om, m.line,
           'closed=1' = ANY(regexp_split_to_array(m.line, '\s+')) AS already
      FROM marker AS m
)
UPDATE tasks AS t
SET orchestration_markers = CASE
        WHEN p.already THEN t.orchestration_markers
        ELSE (p.om || jsonb_build_object('external_pr_supersede',
                                         btrim(p.line || ' closed=1')))::json END,
    updated_at = CASE WHEN p.already THEN t.updated_at ELSE :now::timestamptz END
FROM plan AS p
WHERE t.id = p.id
RETURNING
    {{t.tasks}};
