-- Task :id's orchestration markers as a jsonb object (om; '{}' when the stored document is not
-- an object), the row locked FOR UPDATE: the read of every markers read-modify-write, so a
-- concurrent writer's keys are never lost.
SELECT t.id,
       CASE WHEN json_typeof(t.orchestration_markers) = 'object'
            THEN t.orchestration_markers::jsonb ELSE '{}'::jsonb END AS om
  FROM tasks AS t
 WHERE t.id = :id
   FOR UPDATE
