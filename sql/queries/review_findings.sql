-- name: add_review_findings :many
-- Append one producer call's findings (one origin, one round, one author) to a task's ledger,
-- all open, in one statement; the arrays run in parallel, one element per finding.
INSERT INTO task_review_findings (
    {{task_review_findings}}
)
SELECT f.id, :task_id, :origin, :round, :author_slug, f.file, f.line, f.severity, f.criterion,
       f.expected, f.actual, f.fix, f.evidence, 'open', NULL, NULL, now(), NULL
FROM unnest(:ids::uuid[], :files::text[], :lines::int[], :severities::text[],
            :criteria::text[], :expecteds::text[], :actuals::text[], :fixes::text[],
            :evidences::text[])
     AS f(id, file, line, severity, criterion, expected, actual, fix, evidence)
RETURNING
    {{task_review_findings}};

-- name: list_task_findings :many
-- A task's findings (of one status, or all), newest round first, newest created first within
-- a round (ix_task_review_findings_task_status).
SELECT
    {{task_review_findings}}
FROM task_review_findings
WHERE task_id = :task_id
  AND (:status::text IS NULL OR status = :status::text)
ORDER BY round DESC, created_at DESC, id DESC
LIMIT :limit;

-- name: list_open_findings :many
-- Open findings across every task, worst severity first (blocker < major < minor < nit sorts
-- alphabetically), then newest: the Auditor's triage queue.
SELECT
    {{task_review_findings}}
FROM task_review_findings
WHERE status = 'open'
ORDER BY severity, created_at DESC, id DESC
LIMIT :limit;

-- name: finding_status_counts :many
-- How many of a task's findings there are per (origin, status), over the whole ledger.
SELECT origin, status, count(*)::int AS count
FROM task_review_findings
WHERE task_id = :task_id
GROUP BY origin, status
ORDER BY origin, status;

-- name: address_finding :one
-- Mark one open finding of a task addressed, named by its id or an id prefix that matches
-- exactly one open finding of that task (an ambiguous or unknown prefix matches no row).
UPDATE task_review_findings AS f
SET status = 'addressed',
    addressed_by_commit = :commit,
    resolution_note = coalesce(left(:note::text, 300), f.resolution_note),
    updated_at = now()
FROM (
    SELECT (array_agg(id))[1] AS id
    FROM task_review_findings
    WHERE task_id = :task_id
      AND status = 'open'
      AND starts_with(id::text, :ref::text)
    HAVING count(*) = 1
) AS one
WHERE f.id = one.id
RETURNING
    f.id, f.task_id, f.origin, f.round, f.author_slug, f.file, f.line, f.severity, f.criterion,
    f.expected, f.actual, f.fix, f.evidence, f.status, f.addressed_by_commit,
    f.resolution_note, f.created_at, f.updated_at;

-- name: verify_findings :execrows
-- Stamp the given findings verified.
UPDATE task_review_findings
SET status = 'verified',
    updated_at = now()
WHERE id = ANY(:ids::uuid[]);

-- name: verify_addressed_findings :execrows
-- A passed re-check confirms the fixes: every addressed finding of one origin on the task
-- becomes verified.
UPDATE task_review_findings
SET status = 'verified',
    updated_at = now()
WHERE task_id = :task_id
  AND origin = :origin
  AND status = 'addressed';

-- name: waive_finding :execrows
-- A PM or the CEO waives one finding, with a note (cut to the column's 300 characters).
UPDATE task_review_findings
SET status = 'waived',
    resolution_note = left(:note::text, 300),
    updated_at = now()
WHERE id = :id;

-- name: recurring_finding_files :many
-- Files named by at least min_count findings (only waived minor ones when waived_minor), most
-- named first: "what keeps breaking".
SELECT file, count(*)::int AS count
FROM task_review_findings
WHERE file IS NOT NULL
  AND (NOT :waived_minor::boolean OR (severity = 'minor' AND status = 'waived'))
GROUP BY file
HAVING count(*) >= :min_count
ORDER BY count(*) DESC, file
LIMIT :limit;

-- name: escaped_defects_since :many
-- Blockers still only addressed (never verified) on tasks completed since a time: fixes that
-- shipped without their raiser confirming them.
SELECT f.task_id, f.origin
FROM task_review_findings AS f
JOIN tasks AS t ON t.id = f.task_id
WHERE f.severity = 'blocker'
  AND f.status = 'addressed'
  AND t.status = 'completed'
  AND t.completed_at IS NOT NULL
  AND t.completed_at >= :since
ORDER BY t.completed_at, f.task_id, f.origin;

-- name: count_findings :scalar
-- Findings in one status (NULL = any) created in [since, until) (each NULL = unbounded).
SELECT count(*)::int AS n
FROM task_review_findings
WHERE (:status::text IS NULL OR status = :status::text)
  AND (:since::timestamptz IS NULL OR created_at >= :since::timestamptz)
  AND (:until::timestamptz IS NULL OR created_at < :until::timestamptz);

-- name: open_findings_by_severity :many
-- Open findings per severity, most first.
SELECT severity, count(*)::int AS count
FROM task_review_findings
WHERE status = 'open'
GROUP BY severity
ORDER BY count(*) DESC, severity;
