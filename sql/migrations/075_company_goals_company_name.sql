-- revision: 075_company_goals_company_name
-- down_revision: 074_telegram_credentials
-- The company's name on the charter row; empty until the CEO sets it.

ALTER TABLE company_goals
    ADD COLUMN company_name TEXT NOT NULL DEFAULT '';

-- down
-- irreversible: drops company_goals.company_name with its value
ALTER TABLE company_goals
    DROP COLUMN company_name;
