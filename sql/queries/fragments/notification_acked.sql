-- The SET list of one recipient's acknowledgement (:agent_id at :acked_at): it joins acked_by
-- with its time in acked_at (agent-id string -> ISO timestamp) and read_by, each once.
acked_by = CASE WHEN :agent_id::uuid = ANY(acked_by) THEN acked_by
    ELSE array_append(acked_by, :agent_id::uuid) END,
acked_at = CASE WHEN :agent_id::uuid = ANY(acked_by) THEN acked_at
    ELSE (acked_at::jsonb || jsonb_build_object(:agent_id::text, :acked_at::text))::json END,
read_by = CASE WHEN :agent_id::uuid = ANY(read_by) THEN read_by
    ELSE array_append(read_by, :agent_id::uuid) END
