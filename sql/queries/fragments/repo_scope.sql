-- The ids of the projects on project :project_id's repo: every project sharing its git_url (an
-- empty git_url shares nothing), and :project_id itself.
SELECT s.id
  FROM projects AS p
  JOIN projects AS s ON s.git_url = p.git_url
 WHERE p.id = :project_id::uuid
   AND p.git_url <> ''
UNION
SELECT :project_id::uuid
