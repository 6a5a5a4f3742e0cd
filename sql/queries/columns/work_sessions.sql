-- The work_sessions row, written once: included as {{work_sessions}}.
id, project_id, task_id, agent_id, branch_name, base_branch, target_branch, started_at,
ended_at, status, commits, files_modified, pr_number, pr_url, pr_status, pr_created_at,
pr_merged_at, merged_by, toolchain_python, toolchain_status, created_at, updated_at
