-- revision: 055_spawn_session_turns
-- down_revision: 054_a2a_message_skill
-- Per-spawn counts of LLM turns and tool calls, filled when a session is finalized; older
-- rows read 0. (Upstream file: 055_spawn_session_turns_tool_calls.py.) The bigint defaults
-- are typed literals so they print as '0'::bigint, like RoboCo's.

ALTER TABLE agent_spawn_sessions
    ADD COLUMN turns      BIGINT NOT NULL DEFAULT '0'::bigint,
    ADD COLUMN tool_calls BIGINT NOT NULL DEFAULT '0'::bigint;

-- down
-- irreversible: drops agent_spawn_sessions.turns and agent_spawn_sessions.tool_calls with their values
ALTER TABLE agent_spawn_sessions
    DROP COLUMN tool_calls,
    DROP COLUMN turns;
