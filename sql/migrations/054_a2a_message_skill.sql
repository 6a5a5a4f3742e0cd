-- revision: 054_a2a_message_skill
-- down_revision: 053_playbook_archived_attr
-- Keep the skill a directed A2A message is about (e.g. code_review) on the row; it used to
-- be dropped before storage.

ALTER TABLE a2a_messages
    ADD COLUMN skill VARCHAR(100);

-- down
-- irreversible: drops a2a_messages.skill with its values
ALTER TABLE a2a_messages
    DROP COLUMN skill;
