-- The board_program_cycles row, written once: included as {{board_program_cycles}}.
id, program_key, exploration_task_id, opened_at, closed_at, items_proposed, items_approved,
items_rejected, decisions, nothing_to_propose_reason
