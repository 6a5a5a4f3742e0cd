-- The SET list that writes n.body into the one text note column n.col names (dev_notes,
-- qa_notes, auditor_notes, doc_notes, pr_reviewer_notes, quick_context, pm_notes) of task t,
-- the others kept; n.col NULL or another name writes none.
dev_notes = CASE WHEN n.col = 'dev_notes' THEN n.body ELSE t.dev_notes END,
qa_notes = CASE WHEN n.col = 'qa_notes' THEN n.body ELSE t.qa_notes END,
auditor_notes = CASE WHEN n.col = 'auditor_notes' THEN n.body ELSE t.auditor_notes END,
doc_notes = CASE WHEN n.col = 'doc_notes' THEN n.body ELSE t.doc_notes END,
pr_reviewer_notes = CASE WHEN n.col = 'pr_reviewer_notes' THEN n.body
                         ELSE t.pr_reviewer_notes END,
quick_context = CASE WHEN n.col = 'quick_context' THEN n.body ELSE t.quick_context END,
pm_notes = CASE WHEN n.col = 'pm_notes' THEN n.body ELSE t.pm_notes END
