-- The jsonb values Python reads as false (None, False, 0, "", [], {}): RoboCo tests its JSON
-- flags by truth, so `coalesce(v NOT IN {{> falsy_jsonb}}, false)` is `bool(v)`.
('null'::jsonb, 'false'::jsonb, '0'::jsonb, '""'::jsonb, '[]'::jsonb, '{}'::jsonb)
