-- The escalate/unblock strikes stored in markers c.om (oscillation_strikes.strikes; a count
-- that is not an integer reads as 0).
CASE WHEN jsonb_typeof(c.om -> 'oscillation_strikes') = 'object'
          AND (c.om -> 'oscillation_strikes' ->> 'strikes') ~ '^-?[0-9]+$'
     THEN (c.om -> 'oscillation_strikes' ->> 'strikes')::bigint ELSE 0 END
