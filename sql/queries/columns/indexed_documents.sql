-- The indexed_documents row, written once: included as {{indexed_documents}}.
id, index_type, source, source_hash, title, preview, chunk_count, extra_data, indexed_at,
updated_at
