-- revision: 036_ac_ids_and_parent_refs
-- down_revision: 035_secretary_directives
-- Give each acceptance criterion a stable id (parallel array) and let a child task list
-- the parent criteria it covers. Existing criteria get md5('<task id>:<subscript>') ids.

ALTER TABLE tasks
    ADD COLUMN acceptance_criteria_ids VARCHAR[] NOT NULL DEFAULT '{}'::VARCHAR[],
    ADD COLUMN parent_ac_refs          VARCHAR[] NOT NULL DEFAULT '{}'::VARCHAR[];

-- One id per element, in element order; tasks without criteria keep the empty default.
UPDATE tasks AS t
SET    acceptance_criteria_ids = ids.ac_ids
FROM  (SELECT src.id,
              array_agg(md5(src.id::TEXT || ':' || sub.i::TEXT) ORDER BY sub.i)::VARCHAR[] AS ac_ids
       FROM   tasks AS src
              CROSS JOIN LATERAL generate_subscripts(src.acceptance_criteria, 1) AS sub(i)
       GROUP  BY src.id) AS ids
WHERE  t.id = ids.id
  AND  array_length(t.acceptance_criteria, 1) > 0;

-- down
-- irreversible: drops the criterion ids and the parent criterion refs of every task
-- The criteria themselves stay in acceptance_criteria; going up again gives them fresh
-- positional ids, and children lose the list of parent criteria they covered.
ALTER TABLE tasks
    DROP COLUMN parent_ac_refs,
    DROP COLUMN acceptance_criteria_ids;
