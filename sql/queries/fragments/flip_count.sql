-- The block/unblock flip count stored in markers c.om (block_flip_count.count; a count that is
-- not an integer reads as 0).
CASE WHEN jsonb_typeof(c.om -> 'block_flip_count') = 'object'
          AND (c.om -> 'block_flip_count' ->> 'count') ~ '^-?[0-9]+$'
     THEN (c.om -> 'block_flip_count' ->> 'count')::bigint ELSE 0 END
