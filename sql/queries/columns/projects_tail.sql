-- The projects row after has_git_token: see projects_head.sql.
test_command, lint_command, format_command, typecheck_command, build_command,
quality_command, assigned_cell, allowed_agents, workspace_path, last_synced_at,
head_commit, created_by, is_active, created_at, updated_at,
ci_watch_enabled, ci_watch_workflow, dep_update_command, dep_update_paths,
sandbox_services, video_engine_enabled, sandbox_extensions, environments, git_provider,
github_installation_id, codegen_command, monthly_budget_usd, board_programs
