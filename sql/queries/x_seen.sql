-- The X engine's dedup ledgers. RoboCo only adds markers and never prunes them.

-- name: mention_seen :scalar
-- Whether a tweet id was already handled (primary-key lookup).
SELECT EXISTS (SELECT 1 FROM x_seen_mentions WHERE mention_id = :mention_id) AS seen;

-- name: mark_mention_seen :execrows
-- Record a tweet id as handled; 0 = it already was (the first marker is kept).
INSERT INTO x_seen_mentions (mention_id, seen_at)
VALUES (:mention_id, now())
ON CONFLICT (mention_id) DO NOTHING;

-- name: feature_seen :scalar
-- Whether a feature was already spotlighted (primary-key lookup).
SELECT EXISTS (SELECT 1 FROM x_seen_features WHERE feature_slug = :feature_slug) AS seen;

-- name: mark_feature_seen :execrows
-- Record a feature slug as spotlighted; 0 = it already was (the first marker is kept).
INSERT INTO x_seen_features (feature_slug, seen_at)
VALUES (:feature_slug, now())
ON CONFLICT (feature_slug) DO NOTHING;

-- name: list_seen_features :many
-- Spotlighted features, oldest first; keyset after a (seen_at, feature_slug) pair.
SELECT feature_slug, seen_at
FROM x_seen_features
WHERE (:after_seen_at::timestamptz IS NULL
       OR (seen_at, feature_slug) > (:after_seen_at::timestamptz, :after_slug::varchar))
ORDER BY seen_at, feature_slug
LIMIT :limit;

-- name: last_feature_seen_at :scalar
-- When the latest spotlight was recorded; NULL before the first.
SELECT max(seen_at) AS last_seen_at FROM x_seen_features;
