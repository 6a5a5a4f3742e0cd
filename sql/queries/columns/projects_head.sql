-- The projects row as a Project reads it is written once, in two lists around its one
-- computed column (a list holds names only; the SELECT keeps the model's field order):
--     {{projects_head}}, git_token_encrypted IS NOT NULL AS has_git_token, {{projects_tail}}
id, name, slug, git_url, default_branch, protected_branches
