-- Cloud-auth login users. The password hash leaves the database only through
-- read_user_password_hash; every other query reports it as has_password.

-- name: create_user :one
-- Insert one user unless an address equal to it but for case is already taken (fastapi-users
-- matches logins case-blind, so such a pair could never both log in): no row back = taken.
-- An exact duplicate is refused by the unique index ix_users_email.
INSERT INTO users (id, email, hashed_password, is_active, is_superuser, is_verified)
SELECT :id::uuid, :email::varchar, :hashed_password::varchar, :is_active::boolean,
       :is_superuser::boolean, :is_verified::boolean
WHERE NOT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower(:email::varchar))
RETURNING
    id, email, hashed_password <> '' AS has_password, is_active, is_superuser, is_verified;

-- name: get_user :one
-- One user by primary key.
SELECT id, email, hashed_password <> '' AS has_password, is_active, is_superuser, is_verified
FROM users
WHERE id = :id;

-- name: get_user_by_email :one
-- One user by address, case-blind as fastapi-users looks logins up; should two rows differ
-- only in case (written around create_user), the exact spelling wins.
SELECT id, email, hashed_password <> '' AS has_password, is_active, is_superuser, is_verified
FROM users
WHERE lower(email) = lower(:email)
ORDER BY email = :email DESC, id
LIMIT 1;

-- name: get_first_user :one
-- The user with the lowest id: RoboCo's single seeded CEO login.
SELECT id, email, hashed_password <> '' AS has_password, is_active, is_superuser, is_verified
FROM users
ORDER BY id
LIMIT 1;

-- name: list_users :many
-- Users by id, keyset after an id.
SELECT id, email, hashed_password <> '' AS has_password, is_active, is_superuser, is_verified
FROM users
WHERE (:after_id::uuid IS NULL OR id > :after_id::uuid)
ORDER BY id
LIMIT :limit;

-- name: update_user :one
-- Write the fields a UserUpdate set (set_x true), the hash when one is given. A new address
-- equal but for case to another user's is refused like on create. No row back = no such user
-- or the address is taken; the repository tells which.
UPDATE users
SET email = CASE WHEN :set_email THEN :email::varchar ELSE email END,
    hashed_password = CASE WHEN :set_hashed_password THEN :hashed_password::varchar
                           ELSE hashed_password END,
    is_active = CASE WHEN :set_is_active THEN :is_active::boolean ELSE is_active END,
    is_superuser = CASE WHEN :set_is_superuser THEN :is_superuser::boolean
                        ELSE is_superuser END,
    is_verified = CASE WHEN :set_is_verified THEN :is_verified::boolean ELSE is_verified END
WHERE id = :id
  AND NOT (:set_email AND EXISTS (
      SELECT 1 FROM users AS other
      WHERE other.id <> :id AND lower(other.email) = lower(:email::varchar)
  ))
RETURNING
    id, email, hashed_password <> '' AS has_password, is_active, is_superuser, is_verified;

-- name: delete_user :execrows
-- Remove one user; 0 = no such user.
DELETE FROM users WHERE id = :id;

-- name: read_user_password_hash :scalar
-- The one query that reads the hash, for read_user_password_hash (session checks and login
-- verification). No row = no such user. Never mapped to a model.
SELECT hashed_password FROM users WHERE id = :id;
