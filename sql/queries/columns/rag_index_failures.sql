-- The rag_index_failures row, written once: included as {{rag_index_failures}}.
id, doc_source, payload, attempts, last_error, created_at, next_retry_at
