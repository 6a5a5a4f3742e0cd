-- revision: 030_rag_chunks_content_schema
-- down_revision: 029_project_quality_command
-- supersedes: 3943b01bd375fc3b998765c3945be6b2f9c1d012c6d7b1cd15a48742055f479c
-- As RoboCo v0.29.0 has it: RoboCo edited this revision in place, dropping chunks_conversations
-- (060 drops that table) and adding chunks_playbooks and chunks_vault_notes. A database that
-- applied the earlier version is re-recorded under this one (supersedes).
-- Reshape legacy RAG chunk tables (made at runtime by the app) in place, keeping their
-- knowledge: column "text" becomes "content" and created_at is added. Absent tables are skipped.

-- lint: allow rename-column legacy chunk tables (made by the app at run time) are reshaped in place to keep their knowledge; only ones with text and no content
DO $$
DECLARE
    tbl    TEXT;
    rel    REGCLASS;
BEGIN
    FOREACH tbl IN ARRAY ARRAY['chunks_code', 'chunks_documentation', 'chunks_journals',
                               'chunks_errors', 'chunks_standards', 'chunks_decisions',
                               'chunks_reviews', 'chunks_learnings', 'chunks_playbooks',
                               'chunks_vault_notes']
    LOOP
        rel := to_regclass(format('public.%I', tbl));
        CONTINUE WHEN rel IS NULL;

        IF EXISTS (SELECT 1 FROM pg_attribute
                   WHERE attrelid = rel AND attname = 'text' AND attnum > 0 AND NOT attisdropped)
           AND NOT EXISTS (SELECT 1 FROM pg_attribute
                           WHERE attrelid = rel AND attname = 'content' AND attnum > 0 AND NOT attisdropped)
        THEN
            EXECUTE format('ALTER TABLE public.%I RENAME COLUMN text TO content', tbl);
        END IF;

        EXECUTE format('ALTER TABLE public.%I ADD COLUMN IF NOT EXISTS created_at TIMESTAMPTZ NOT NULL DEFAULT now()', tbl);
    END LOOP;
END
$$;

-- down
-- irreversible: drops created_at from the RAG chunk tables the app made (where any exist)
-- The chain makes no chunk table, so a chain-built database has nothing to undo; in tables the
-- app made, "content" goes back to "text" (as before 030) and created_at is dropped.
DO $$
DECLARE
    tbl TEXT;
    rel REGCLASS;
BEGIN
    FOREACH tbl IN ARRAY ARRAY['chunks_code', 'chunks_documentation', 'chunks_journals',
                               'chunks_errors', 'chunks_standards', 'chunks_decisions',
                               'chunks_reviews', 'chunks_learnings', 'chunks_playbooks',
                               'chunks_vault_notes']
    LOOP
        rel := to_regclass(format('public.%I', tbl));
        CONTINUE WHEN rel IS NULL;

        EXECUTE format('ALTER TABLE public.%I DROP COLUMN IF EXISTS created_at', tbl);

        IF EXISTS (SELECT 1 FROM pg_attribute
                   WHERE attrelid = rel AND attname = 'content' AND attnum > 0 AND NOT attisdropped)
           AND NOT EXISTS (SELECT 1 FROM pg_attribute
                           WHERE attrelid = rel AND attname = 'text' AND attnum > 0 AND NOT attisdropped)
        THEN
            EXECUTE format('ALTER TABLE public.%I RENAME COLUMN content TO text', tbl);
        END IF;
    END LOOP;
END
$$;
