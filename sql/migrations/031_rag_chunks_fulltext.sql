-- revision: 031_rag_chunks_fulltext
-- down_revision: 030_rag_chunks_content_schema
-- supersedes: 859cd771cf5229f2b479ac564a9b2d7e4fb60a24ad7e1f70fd8c1a82dfc8c340
-- As RoboCo v0.29.0 has it: RoboCo edited this revision in place, dropping chunks_conversations
-- (060 drops that table). A database that applied the earlier version is re-recorded under
-- this one (supersedes).
-- Give every existing RAG chunk table that has "content" a stored english tsvector
-- column and a GIN index on it, for hybrid (vector + keyword) search. Absent tables are skipped.

-- lint: allow index-not-concurrent the GIN index follows the stored tsv column added just before it, whose rewrite already locks the table
DO $$
DECLARE
    tbl    TEXT;
    rel    REGCLASS;
BEGIN
    FOREACH tbl IN ARRAY ARRAY['chunks_code', 'chunks_documentation', 'chunks_journals',
                               'chunks_errors', 'chunks_standards', 'chunks_decisions',
                               'chunks_reviews', 'chunks_learnings']
    LOOP
        rel := to_regclass(format('public.%I', tbl));
        CONTINUE WHEN rel IS NULL;
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_attribute
                                  WHERE attrelid = rel AND attname = 'content' AND attnum > 0 AND NOT attisdropped);

        IF NOT EXISTS (SELECT 1 FROM pg_attribute
                       WHERE attrelid = rel AND attname = 'tsv' AND attnum > 0 AND NOT attisdropped)
        THEN
            EXECUTE format('ALTER TABLE public.%I ADD COLUMN tsv TSVECTOR '
                           'GENERATED ALWAYS AS (to_tsvector(''english'', content)) STORED', tbl);
        END IF;

        EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON public.%I USING GIN (tsv)', tbl || '_tsv_idx', tbl);
    END LOOP;
END
$$;

-- down
-- The chain makes no chunk table, so a chain-built database has nothing to undo; in tables the
-- app made, the tsv column and its GIN index go (tsv is computed from content, nothing is lost).
DO $$
DECLARE
    tbl TEXT;
BEGIN
    FOREACH tbl IN ARRAY ARRAY['chunks_code', 'chunks_documentation', 'chunks_journals',
                               'chunks_errors', 'chunks_standards', 'chunks_decisions',
                               'chunks_reviews', 'chunks_learnings']
    LOOP
        CONTINUE WHEN to_regclass(format('public.%I', tbl)) IS NULL;
        EXECUTE format('DROP INDEX IF EXISTS public.%I', tbl || '_tsv_idx');
        EXECUTE format('ALTER TABLE public.%I DROP COLUMN IF EXISTS tsv', tbl);
    END LOOP;
END
$$;
