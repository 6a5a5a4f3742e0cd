-- A newest-first keyset cursor's bound (:before_at, :before_id), for `(ts, id) < (...)`:
-- past every row when not given, so the first page needs no other statement.
COALESCE(:before_at::timestamptz, 'infinity'::timestamptz),
COALESCE(:before_id::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)
