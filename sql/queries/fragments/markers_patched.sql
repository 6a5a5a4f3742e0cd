-- The write of a markers read-modify-write (after locked_markers' read): task p.id's markers
-- become p.om with the keys of p.patch replaced, updated_at :now. p is a row of the including
-- statement's CTE `patch` (id, om, patch, and whatever its RETURNING reads).
UPDATE tasks AS t
SET orchestration_markers = (p.om || p.patch)::json,
    updated_at = :now::timestamptz
FROM patch AS p
WHERE t.id = p.id
