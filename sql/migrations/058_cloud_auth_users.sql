-- revision: 058_cloud_auth_users
-- down_revision: 057_project_sandbox_services
-- Login table for the optional cloud auth (off by default): holds the single CEO account,
-- upserted by the app at startup. Email uniqueness is a unique index, not a constraint.

CREATE TABLE users (
    id              UUID          NOT NULL,
    email           VARCHAR(320)  NOT NULL,
    hashed_password VARCHAR(1024) NOT NULL,
    is_active       BOOLEAN       NOT NULL DEFAULT true,
    is_superuser    BOOLEAN       NOT NULL DEFAULT false,
    is_verified     BOOLEAN       NOT NULL DEFAULT false,
    CONSTRAINT pk_users PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_users_email ON users (email);

-- down
-- irreversible: drops users (the cloud-auth accounts) with its rows
DROP TABLE users;
