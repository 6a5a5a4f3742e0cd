-- revision: 041_structured_content_columns
-- down_revision: 040_awaiting_pr_review
-- Own note slots for the PR reviewer and documenter, typed notes, and a JSON home for the
-- machine markers that used to be mixed into quick_context (moved out here, row by row).

ALTER TABLE tasks
    ADD COLUMN pr_reviewer_notes     TEXT,
    ADD COLUMN doc_notes             TEXT,
    ADD COLUMN notes_structured      JSON,
    ADD COLUMN orchestration_markers JSON;

-- Marker extraction, matching RoboCo's own parser exactly:
--   * quick_context is split into lines (Python splitlines boundaries) and each line is
--     trimmed (Python whitespace); blank lines are dropped.
--   * lines starting "original_developer:", "documenter:", "pr_author:" become string
--     markers; "required_cells:" becomes a list (comma separated, trimmed, blanks dropped);
--     a line starting "external_pr_supersede" stores the rest of the line;
--     "doc_notes:" lines keep their text (prefix removed) in the human remainder;
--   * on any other line, whitespace tokens "dismissed=1", "external_pr_head=<v>" and
--     "self_heal_fp=<v>" become markers and the other tokens stay, joined by one space.
--   Repeated keys keep their first position and their last value. Rows that yield no
--   marker are left untouched; the others get the markers (serialized like Python's
--   json.dumps) and quick_context becomes the remainder lines (NULL when nothing is left).
DO $$
DECLARE
    -- regex escapes written as E'\\x' so they reach the regex engine whatever
    -- standard_conforming_strings is set to
    ws_class     CONSTANT TEXT   := E'[\\t\\n\\v\\f\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
    line_break   CONSTANT TEXT   := E'\\r\\n|[\\n\\v\\f\\r\\u001c\\u001d\\u001e\\u0085\\u2028\\u2029]';
    line_markers CONSTANT TEXT[] := ARRAY['original_developer', 'documenter', 'required_cells', 'pr_author'];
    strip_re     TEXT;
    rec          RECORD;
    raw_line     TEXT;
    line         TEXT;
    tok          TEXT;
    mkey         TEXT;
    matched      TEXT;
    val          TEXT;
    leftover     TEXT[];
    kept         TEXT[];
    set_keys     TEXT[];
    set_kinds    TEXT[];
    set_vals     TEXT[];
    markers_json TEXT;
BEGIN
    strip_re := '^' || ws_class || '+|' || ws_class || '+$';

    FOR rec IN
        SELECT id, quick_context
        FROM   tasks
        WHERE  quick_context IS NOT NULL AND quick_context <> ''
    LOOP
        set_keys  := '{}';
        set_kinds := '{}';
        set_vals  := '{}';
        kept      := '{}';

        FOREACH raw_line IN ARRAY regexp_split_to_array(rec.quick_context, line_break) LOOP
            line := regexp_replace(raw_line, strip_re, '', 'g');
            CONTINUE WHEN line = '';

            matched := NULL;
            FOREACH mkey IN ARRAY line_markers LOOP
                IF starts_with(line, mkey || ':') THEN
                    matched := mkey;
                    EXIT;
                END IF;
            END LOOP;

            IF matched IS NOT NULL THEN
                val := regexp_replace(substr(line, length(matched) + 2), strip_re, '', 'g');
                IF matched = 'required_cells' THEN
                    -- normalised to "a,b,c": trimmed pieces cannot contain a comma
                    SELECT coalesce(string_agg(p.piece, ',' ORDER BY p.ord), '')
                    INTO   val
                    FROM  (SELECT regexp_replace(s.piece, strip_re, '', 'g') AS piece, s.ord
                           FROM   unnest(string_to_array(val, ',')) WITH ORDINALITY AS s(piece, ord)) AS p
                    WHERE  p.piece <> '';
                    set_kinds := array_append(set_kinds, 'list'::TEXT);
                ELSE
                    set_kinds := array_append(set_kinds, 'text'::TEXT);
                END IF;
                set_keys := array_append(set_keys, matched);
                set_vals := array_append(set_vals, val);
                CONTINUE;
            END IF;

            IF starts_with(line, 'external_pr_supersede') THEN
                set_keys  := array_append(set_keys, 'external_pr_supersede'::TEXT);
                set_kinds := array_append(set_kinds, 'text'::TEXT);
                set_vals  := array_append(set_vals,
                                 regexp_replace(substr(line, length('external_pr_supersede') + 1), strip_re, '', 'g'));
                CONTINUE;
            END IF;

            IF starts_with(line, 'doc_notes:') THEN
                val := regexp_replace(substr(line, length('doc_notes:') + 1), strip_re, '', 'g');
                IF val <> '' THEN
                    kept := array_append(kept, val);
                END IF;
                CONTINUE;
            END IF;

            leftover := '{}';
            FOREACH tok IN ARRAY regexp_split_to_array(line, ws_class || '+') LOOP
                IF tok = 'dismissed=1' THEN
                    set_keys  := array_append(set_keys, 'dismissed'::TEXT);
                    set_kinds := array_append(set_kinds, 'flag'::TEXT);
                    set_vals  := array_append(set_vals, NULL::TEXT);
                ELSIF starts_with(tok, 'external_pr_head=') THEN
                    set_keys  := array_append(set_keys, 'external_pr_head'::TEXT);
                    set_kinds := array_append(set_kinds, 'text'::TEXT);
                    set_vals  := array_append(set_vals, substr(tok, length('external_pr_head=') + 1));
                ELSIF starts_with(tok, 'self_heal_fp=') THEN
                    set_keys  := array_append(set_keys, 'self_heal_fp'::TEXT);
                    set_kinds := array_append(set_kinds, 'text'::TEXT);
                    set_vals  := array_append(set_vals, substr(tok, length('self_heal_fp=') + 1));
                ELSE
                    leftover := array_append(leftover, tok);
                END IF;
            END LOOP;
            IF cardinality(leftover) > 0 THEN
                kept := array_append(kept, array_to_string(leftover, ' '));
            END IF;
        END LOOP;

        CONTINUE WHEN cardinality(set_keys) = 0;

        -- JSON text as json.dumps writes it: ", " and ": " separators, keys in first-seen
        -- order, strings escaped by to_json plus \uXXXX for everything outside ASCII 32..126.
        SELECT '{' || string_agg('"' || m.k || '": ' || m.js, ', ' ORDER BY m.first_n) || '}'
        INTO   markers_json
        FROM  (SELECT DISTINCT ON (u.k)
                      u.k,
                      min(u.n) OVER (PARTITION BY u.k) AS first_n,
                      CASE u.kind
                          WHEN 'flag' THEN 'true'
                          WHEN 'text' THEN j.items
                          ELSE '[' || coalesce(j.items, '') || ']'
                      END AS js
               FROM   unnest(set_keys, set_kinds, set_vals) WITH ORDINALITY AS u(k, kind, v, n)
                      CROSS JOIN LATERAL (
                          SELECT string_agg(e.enc, ', ' ORDER BY l.o) AS items
                          FROM   unnest(CASE u.kind WHEN 'list' THEN string_to_array(u.v, ',')
                                                    ELSE ARRAY[u.v] END) WITH ORDINALITY AS l(s, o)
                                 CROSS JOIN LATERAL (
                                     SELECT string_agg(
                                                CASE
                                                    WHEN ascii(ch.c) < 127   THEN ch.c
                                                    WHEN ascii(ch.c) < 65536 THEN E'\\u' || lpad(to_hex(ascii(ch.c)), 4, '0')
                                                    ELSE E'\\u' || to_hex(55296 + ((ascii(ch.c) - 65536) >> 10))
                                                       || E'\\u' || to_hex(56320 + ((ascii(ch.c) - 65536) & 1023))
                                                END, '' ORDER BY ch.n) AS enc
                                     FROM   unnest(string_to_array(to_json(l.s)::TEXT, NULL)) WITH ORDINALITY AS ch(c, n)
                                 ) AS e
                      ) AS j
               ORDER  BY u.k, u.n DESC) AS m;

        UPDATE tasks
        SET    orchestration_markers = markers_json::JSON,
               quick_context         = nullif(regexp_replace(array_to_string(kept, E'\n'), strip_re, '', 'g'), '')
        WHERE  id = rec.id;
    END LOOP;
END
$$;

-- down
-- irreversible: drops pr_reviewer_notes, doc_notes and notes_structured (no place for them before 041)
-- The orchestration markers are kept: each goes back into quick_context in the form 041 read
-- it from ("key:value" lines, "key=value" tokens, "dismissed=1"), after the human text, so
-- pre-041 code finds them there and going up again extracts the same markers.
UPDATE tasks AS t
SET    quick_context = concat_ws(E'\n', nullif(t.quick_context, ''), m.lines)
FROM  (SELECT src.id, string_agg(l.line, E'\n' ORDER BY e.ord) AS lines
       FROM   tasks AS src
              CROSS JOIN LATERAL json_each(CASE WHEN json_typeof(src.orchestration_markers) = 'object'
                                                THEN src.orchestration_markers ELSE '{}'::json END)
                  WITH ORDINALITY AS e(key, value, ord)
              CROSS JOIN LATERAL (
                  SELECT CASE
                      WHEN e.key IN ('original_developer', 'documenter', 'pr_author')
                          THEN e.key || ':' || (e.value #>> '{}')
                      WHEN e.key = 'required_cells' AND json_typeof(e.value) = 'array'
                          THEN 'required_cells:' || coalesce(
                                   (SELECT string_agg(c.cell, ',' ORDER BY c.n)
                                    FROM json_array_elements_text(e.value) WITH ORDINALITY AS c(cell, n)), '')
                      WHEN e.key = 'required_cells'
                          THEN 'required_cells:' || (e.value #>> '{}')
                      WHEN e.key = 'external_pr_supersede'
                          THEN rtrim('external_pr_supersede ' || (e.value #>> '{}'))
                      WHEN e.key = 'dismissed' AND e.value::text = 'true'
                          THEN 'dismissed=1'
                      WHEN e.key IN ('external_pr_head', 'self_heal_fp')
                          THEN e.key || '=' || (e.value #>> '{}')
                  END AS line
              ) AS l
       WHERE  l.line IS NOT NULL
       GROUP  BY src.id) AS m
WHERE  t.id = m.id;

ALTER TABLE tasks
    DROP COLUMN orchestration_markers,
    DROP COLUMN notes_structured,
    DROP COLUMN doc_notes,
    DROP COLUMN pr_reviewer_notes;
