-- Each listed channel's agents as (channel_slug, ids): the (:channel_slugs, :agent_slugs) pairs
-- grouped by channel, the agents' ids in the order given (a slug with no agent row skipped).
SELECT m.channel_slug, array_agg(a.id ORDER BY m.ord) AS ids
  FROM unnest(:channel_slugs::text[], :agent_slugs::text[])
       WITH ORDINALITY AS m (channel_slug, agent_slug, ord)
  JOIN agents AS a ON a.slug = m.agent_slug
 GROUP BY m.channel_slug
