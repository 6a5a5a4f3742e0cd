-- revision: 086_enable_gemini_provider
-- down_revision: 085_seed_gemini_provider
-- Turn the Gemini provider on. Found by name only, so a renamed row is not touched;
-- repeating it is harmless.

UPDATE provider_configs
SET    enabled = TRUE
WHERE  name = 'Gemini (Google)';

-- down
-- Back to the state 085 seeded: the Gemini row disabled.
UPDATE provider_configs
SET    enabled = FALSE
WHERE  name = 'Gemini (Google)';
